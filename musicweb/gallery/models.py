"""Generated tracks: private to their owner until published to the gallery."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from generator.engine.catalog import MODE_CHOICES
from musicweb.addresses import client_address
from musicweb.files import delete_folder
from musicweb.tags import parse_tags

FORMATS = ("wav", "flac", "ogg", "mp3")

# Top rated sorts by a Bayesian average: every track starts with PRIOR_VOTES imaginary
# votes of PRIOR_MEAN stars, so one 5-star vote cannot top the chart. The score is
# stored on the row (updated with the counts) so that SQL sorts on an index.
PRIOR_VOTES = 5
PRIOR_MEAN = 3.0
TRENDING_DAYS = 7

SORTS = {
    "newest": "Newest",
    "top": "Top rated",
    "played": "Most played",
    "trending": "Trending",
}


PUBLIC = Q(published=True, hidden=False)
CARD_FIELDS = (
    "uid",
    "owner",
    "title",
    "tags",
    "mode",
    "model_version",
    "duration",
    "published",
    "published_at",
    "hidden",
    "featured",
    "play_count",
    "rating_count",
    "rating_sum",
    "score",
    "trending",
)


def bayesian_score(rating_sum: int, rating_count: int) -> float:
    return (PRIOR_VOTES * PRIOR_MEAN + rating_sum) / (PRIOR_VOTES + rating_count)


def tag_filter(tag: str) -> Q:
    """Match one whole tag in the normalised "a, b, c" text."""
    return (
        Q(tags=tag)
        | Q(tags__startswith=f"{tag},")
        | Q(tags__endswith=f", {tag}")
        | Q(tags__contains=f", {tag},")
    )


class TrackQuerySet(models.QuerySet):
    def owned_by(self, user) -> TrackQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def published(self) -> TrackQuerySet:
        return self.filter(PUBLIC)

    def visible_to(self, user) -> TrackQuerySet:
        """Published tracks for everyone, plus one's own; staff see all."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(models.Q(published=True, hidden=False) | models.Q(owner=user))
        return self.published()

    def search(self, query: str) -> TrackQuerySet:
        query = " ".join((query or "").split())
        if not query:
            return self
        return self.filter(
            Q(title__icontains=query) | Q(description__icontains=query) | Q(tags__icontains=query)
        )

    def filtered(
        self,
        *,
        query: str = "",
        mode: str = "",
        model: int | None = None,
        tag: str = "",
        author: str = "",
        featured: bool | None = None,
    ) -> TrackQuerySet:
        """The gallery's filters; empty values mean no filter."""
        tracks = self.search(query)
        if mode:
            tracks = tracks.filter(mode=mode)
        if model:
            tracks = tracks.filter(model_version_id=model)
        if tag:
            tracks = tracks.filter(tag_filter(tag))
        if author:
            tracks = tracks.filter(owner__username=author)
        if featured is not None:
            tracks = tracks.filter(featured=featured)
        return tracks

    def refresh_trending(self) -> int:
        """Recount `trending` (ratings given and plays heard in the last week) from the rows.

        Ratings and plays also add to it as they happen; this takes away what has
        aged out of the window, in one UPDATE (see refresh_trending_if_stale).
        """
        since = timezone.now() - timedelta(days=TRENDING_DAYS)
        ratings = (
            Rating.objects.filter(track=OuterRef("pk"), updated__gte=since)
            .order_by()
            .values("track")
            .annotate(n=Count("pk"))
            .values("n")
        )
        plays = (
            Play.objects.filter(track=OuterRef("pk"), hour__gte=since)
            .order_by()
            .values("track")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.update(
            trending=Coalesce(Subquery(ratings), Value(0)) + Coalesce(Subquery(plays), Value(0))
        )

    def recount_ratings(self) -> int:
        """Recount rating_count, rating_sum, score and trending of these tracks from the rows.

        Ratings change the counters as they are given; this is for ratings that go
        without a word to their track, such as those of a deleted account.
        """
        ratings = Rating.objects.filter(track=OuterRef("pk")).order_by().values("track")
        count = Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), Value(0))
        stars = Coalesce(Subquery(ratings.annotate(s=Sum("stars")).values("s")), Value(0))
        updated = self.update(
            rating_count=count,
            rating_sum=stars,
            score=(Value(PRIOR_VOTES * PRIOR_MEAN) + Cast(stars, models.FloatField()))
            / Cast(Value(PRIOR_VOTES) + count, models.FloatField()),
        )
        self.refresh_trending()
        return updated

    def sorted_by(self, key: str) -> TrackQuerySet:
        if key == "top":
            return self.order_by("-score", "-rating_count", "-published_at", "-id")
        if key == "played":
            return self.order_by("-play_count", "-published_at", "-id")
        if key == "trending":
            return self.order_by("-trending", "-published_at", "-id")
        return self.order_by("-published_at", "-id")

    def for_cards(self) -> TrackQuerySet:
        """Only what a gallery card or API list item shows, in one query."""
        return self.select_related("owner", "model_version").only(
            *CARD_FIELDS,
            "owner__username",
            "owner__display_name",
            "model_version__name",
            "model_version__version",
        )


def track_folder(track: Track) -> str:
    return f"tracks/{track.owner_id}/{track.uid.hex}"


class Track(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    mode = models.CharField(max_length=20, choices=MODE_CHOICES)
    model_version = models.ForeignKey(
        "generator.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracks",
    )
    recipe = models.JSONField(default=dict, help_text="Mode, model, seed, parameters, sources.")
    audio = models.FileField(
        max_length=300, help_text="The WAV master; other formats derive from it."
    )
    spectrogram = models.FileField(max_length=300)
    peaks = models.JSONField(default=list)
    duration = models.FloatField()
    stored_bytes = models.PositiveBigIntegerField(default=0)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")
    featured = models.BooleanField(default=False)
    play_count = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    score = models.FloatField(
        default=PRIOR_MEAN, help_text="Bayesian average of the ratings, for sorting."
    )
    trending = models.PositiveIntegerField(
        default=0, help_text="Ratings and plays of the last week, for sorting."
    )
    embedding = models.JSONField(default=list, blank=True, help_text="Tagger embedding.")
    created = models.DateTimeField(auto_now_add=True)

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created"]),
            models.Index(fields=["published", "hidden", "-published_at"]),
            # Partial indexes in each sort's exact order, so a gallery page reads 24 index
            # entries instead of sorting every published track.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                condition=PUBLIC,
                name="gallery_track_newest",
            ),
            models.Index(
                F("score").desc(),
                F("rating_count").desc(),
                F("published_at").desc(),
                F("id").desc(),
                condition=PUBLIC,
                name="gallery_track_top",
            ),
            models.Index(
                F("play_count").desc(),
                F("published_at").desc(),
                F("id").desc(),
                condition=PUBLIC,
                name="gallery_track_played",
            ),
            models.Index(
                F("published_at").desc(),
                condition=PUBLIC & Q(featured=True),
                name="gallery_track_featured",
            ),
            models.Index(
                F("trending").desc(),
                F("published_at").desc(),
                F("id").desc(),
                condition=PUBLIC,
                name="gallery_track_trending",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("gallery:track", args=[self.uid])

    @property
    def tag_list(self) -> list[str]:
        return parse_tags(self.tags)

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def is_public(self) -> bool:
        return self.published and not self.hidden

    def recipe_for(self, user) -> dict:
        """The recipe as user may see it: others learn how many source clips, not their titles."""
        from musicweb.permissions import may_see_sources

        recipe = dict(self.recipe or {})
        if not may_see_sources(user, self):
            recipe["private_sources"] = len(recipe.get("sources") or [])
            recipe["sources"] = []
        return recipe

    def publish(self, *, title: str, description: str, tags: str) -> None:
        self.title, self.description, self.tags = title, description, tags
        self.published = True
        if self.published_at is None:
            self.published_at = timezone.now()
        self.save(update_fields=["title", "description", "tags", "published", "published_at"])

    def unpublish(self) -> None:
        # published_at is kept so that publishing again keeps the track's place and link.
        self.published = False
        self.save(update_fields=["published"])

    def rate(self, user, stars: int) -> Rating:
        """Set user's rating (1 to 5); counts and score change in the same transaction."""
        if not 1 <= stars <= 5:
            raise ValueError("A rating is 1 to 5 stars.")
        with transaction.atomic():
            rating = Rating.objects.select_for_update().filter(track=self, user=user).first()
            if rating is None:
                rating = Rating.objects.create(track=self, user=user, stars=stars)
                self._change_ratings(stars, 1, trending=1)
            elif rating.stars != stars:
                delta = stars - rating.stars
                rating.stars = stars
                rating.save(update_fields=["stars", "updated"])
                self._change_ratings(delta, 0)
        return rating

    def unrate(self, user) -> bool:
        with transaction.atomic():
            rating = Rating.objects.select_for_update().filter(track=self, user=user).first()
            if rating is None:
                return False
            rating.delete()
            self._change_ratings(-rating.stars, -1)
        return True

    def _change_ratings(self, stars: int, votes: int, trending: int = 0) -> None:
        new_sum = F("rating_sum") + stars
        new_count = F("rating_count") + votes
        Track.objects.filter(pk=self.pk).update(
            trending=F("trending") + trending,
            rating_sum=new_sum,
            rating_count=new_count,
            score=(Value(PRIOR_VOTES * PRIOR_MEAN) + Cast(new_sum, models.FloatField()))
            / Cast(PRIOR_VOTES + new_count, models.FloatField()),
        )
        self.refresh_from_db(fields=["rating_sum", "rating_count", "score", "trending"])
        self._push_stats()

    def _push_stats(self) -> None:
        from musicweb.gallery.live import broadcast_stats

        transaction.on_commit(lambda: broadcast_stats(self))

    def count_play(self, listener: str, address: str = "") -> bool:
        """Count one play per listener per hour, and at most MAX_PLAYS_PER_ADDRESS listeners
        of this track from one address an hour; True if this one counted.

        The track's row is locked while counting, so that simultaneous plays from one
        address cannot all slip under the cap.
        """
        hour = timezone.now().replace(minute=0, second=0, microsecond=0)
        counted = False
        try:
            with transaction.atomic():
                Track.objects.select_for_update().filter(pk=self.pk).values("pk").first()
                plays = Play.objects.filter(track=self, hour=hour)
                capped = bool(address) and (
                    plays.filter(address=address).count() >= settings.MAX_PLAYS_PER_ADDRESS
                )
                if not capped and not plays.filter(listener=listener).exists():
                    Play.objects.create(track=self, listener=listener, address=address, hour=hour)
                    Track.objects.filter(pk=self.pk).update(
                        play_count=F("play_count") + 1, trending=F("trending") + 1
                    )
                    counted = True
        except IntegrityError:  # the same listener, counted a moment ago by another request
            counted = False
        self.refresh_from_db(fields=["play_count"])
        if counted:
            self._push_stats()
        return counted

    def similar(self, limit: int = 6) -> list[Track]:
        """More like this: nearest embeddings if both have one, else shared tags and mode."""
        candidates = Track.objects.published().exclude(pk=self.pk)
        if self.embedding:
            pool = list(
                candidates.filter(mode=self.mode)
                .exclude(embedding=[])
                .select_related("owner")
                .order_by("-published_at")[:500]
            ) or list(
                candidates.exclude(embedding=[])
                .select_related("owner")
                .order_by("-published_at")[:500]
            )
            scored = [
                (cosine_distance(self.embedding, t.embedding), t)
                for t in pool
                if len(t.embedding) == len(self.embedding)
            ]
            if scored:
                scored.sort(key=lambda pair: pair[0])
                return [t for _, t in scored[:limit]]
        tags = self.tag_list
        by_tags = Q(mode=self.mode)
        for tag in tags:
            by_tags |= tag_filter(tag)
        pool = list(
            candidates.filter(by_tags).for_cards().order_by("-score", "-published_at")[:200]
        )
        mine = set(tags)

        def closeness(track: Track) -> tuple:
            shared = len(mine & set(track.tag_list))
            return (-(shared + (track.mode == self.mode)), -track.score)

        pool.sort(key=closeness)
        return pool[:limit]

    def format_name(self, fmt: str) -> str:
        return f"{track_folder(self)}/track.{fmt}"

    def thumbnail_name(self) -> str:
        return f"{track_folder(self)}/thumbnail.webp"

    def urls(self) -> dict:
        return {
            "page": self.get_absolute_url(),
            "audio": reverse("gallery:audio", args=[self.uid, "wav"]),
            "spectrogram": reverse("gallery:spectrogram", args=[self.uid]),
            "downloads": {
                fmt: reverse("gallery:audio", args=[self.uid, fmt]) + "?download=1"
                for fmt in FORMATS
            },
        }


TRENDING_REFRESH_SECONDS = 600


def refresh_trending_if_stale() -> None:
    """Recount trending at most every ten minutes, from whichever request first needs it."""
    if cache.add("gallery:trending-refreshed", True, TRENDING_REFRESH_SECONDS):
        Track.objects.published().refresh_trending()


def author_stats(person) -> dict:
    """Published tracks, plays and ratings of one person, for their profile."""
    stats = (
        Track.objects.published()
        .filter(owner=person)
        .aggregate(
            tracks=Count("pk"),
            plays=Coalesce(Sum("play_count"), 0),
            ratings_received=Coalesce(Sum("rating_count"), 0),
            stars=Coalesce(Sum("rating_sum"), 0),
        )
    )
    stars = stats.pop("stars")
    votes = stats["ratings_received"]
    stats["average_rating"] = round(stars / votes, 2) if votes else None
    stats["ratings_given"] = Rating.objects.filter(user=person).count()
    return stats


def cosine_distance(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 1.0 - dot / norm if norm else 1.0


def _hashed(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{kind}:{value}".encode()).hexdigest()
    return f"{kind}:{digest[:40]}"


def address_key(request) -> str:
    """A hash of the client's address (never the address), as proxies allow it to be known."""
    return _hashed("a", client_address(request) or "unknown")


def listener_key(request) -> str:
    """Who is listening: the user, else the visitor's existing session, else their address.

    A visitor without a session gets none made for them: each cookie-less request
    would be a new listener. Keys are hashes, never a session key or an address.
    """
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    session = request.session
    if session.session_key and session.exists(session.session_key):
        return _hashed("s", session.session_key)
    return address_key(request)


class Rating(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["track", "user"], name="one_rating_per_user"),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="rating_one_to_five"
            ),
        ]
        indexes = [models.Index(fields=["track", "updated"])]

    def __str__(self) -> str:
        return f"{self.user} gave {self.track} {self.stars}"


class Play(models.Model):
    """One listener heard one track in one hour: the unit plays are counted in."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="plays")
    listener = models.CharField(max_length=64)
    address = models.CharField(
        max_length=64, blank=True, help_text="A hash of the address the play came from."
    )
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["track", "listener", "hour"], name="one_play_per_listener_hour"
            )
        ]
        indexes = [
            models.Index(fields=["track", "hour", "address"]),
            # A listener's own history (profile, For you) without reading everyone's plays.
            models.Index(fields=["listener", "-hour"], name="gallery_play_listener"),
        ]

    def __str__(self) -> str:
        return f"{self.listener} played {self.track_id} at {self.hour:%Y-%m-%d %H}h"


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        OFFENSIVE = "offensive", "Offensive or abusive"
        COPYRIGHT = "copyright", "Copies someone else's work"
        OTHER = "other", "Something else"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(blank=True, max_length=1000)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["resolved", "-created"]
        constraints = [
            models.UniqueConstraint(fields=["track", "reporter"], name="one_report_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.track}"


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def _note_rated_tracks(sender, instance, **kwargs) -> None:
    instance._rated_track_ids = list(
        Rating.objects.filter(user=instance).values_list("track_id", flat=True)
    )


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _recount_rated_tracks(sender, instance, **kwargs) -> None:
    """A deleted account's ratings go with it; its tracks' counters follow in the same
    transaction (the deletion's own), so no one ever sees them stale."""
    rated = getattr(instance, "_rated_track_ids", [])
    if rated:
        Track.objects.filter(pk__in=rated).recount_ratings()


@receiver(post_save, sender=Track)
@receiver(post_delete, sender=Track)
def _recheck_watchers(sender, instance: Track, **kwargs) -> None:
    """Unpublished, hidden or deleted: open track sockets check whether they may stay."""
    from musicweb.gallery.live import broadcast_access

    if not kwargs.get("created"):
        transaction.on_commit(lambda: broadcast_access(instance.uid))


@receiver(post_delete, sender=Track)
def _delete_track_files(sender, instance: Track, **kwargs) -> None:
    """Remove the master, every derived format and the image once the row is gone."""
    storage = instance.audio.storage
    names = [f.name for f in (instance.audio, instance.spectrogram) if f]
    names += [instance.format_name(fmt) for fmt in FORMATS]
    folder = track_folder(instance)

    def remove() -> None:
        for name in set(names):
            storage.delete(name)
        delete_folder(storage, folder)  # stray copies and interrupted writes too

    transaction.on_commit(remove)
