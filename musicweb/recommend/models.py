"""What a listener tells us beyond plays and ratings: tracks they skipped and styles they like.

Plays of signed-in users are gallery Play rows (listener "u:<pk>"); together with
these rows they are the listener's history, private to them and deletable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from musicweb.gallery.models import Play, Track

# A track left before this many seconds counts as skipped.
SKIP_SECONDS = 30


def listener_of(user) -> str:
    """The Play.listener key of a signed-in user (see gallery.models.listener_key)."""
    return f"u:{user.pk}"


def plays_of(user):
    return Play.objects.filter(listener=listener_of(user))


class Skip(models.Model):
    """The listener left this track early: radio will not offer it again, For you weighs it down."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skips"
    )
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="skips")
    seconds = models.FloatField(help_text="How far into the track it was left.")
    created = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="one_skip_per_track")]

    def __str__(self) -> str:
        return f"{self.user} skipped {self.track_id}"


class StylePick(models.Model):
    """A style (tag) a listener said they like: where a fresh listener's For you starts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="style_picks"
    )
    style = models.CharField(max_length=30)

    class Meta:
        ordering = ["style"]
        constraints = [models.UniqueConstraint(fields=["user", "style"], name="one_pick_per_style")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.style}"


HISTORY_KINDS = ("play", "skip")


def history(user, limit: int = 200) -> list[dict]:
    """The user's plays and skips, newest first: {kind, id, track, at, seconds}."""
    plays = plays_of(user).select_related("track", "track__owner").order_by("-hour", "-id")
    skips = Skip.objects.filter(user=user).select_related("track", "track__owner")
    items = [
        {"kind": "play", "id": p.pk, "track": p.track, "at": p.hour, "seconds": None}
        for p in plays[:limit]
    ] + [
        {"kind": "skip", "id": s.pk, "track": s.track, "at": s.created, "seconds": s.seconds}
        for s in skips[:limit]
    ]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:limit]


def forget(user, kind: str | None = None, pk: int | None = None) -> int:
    """Delete all of the user's history, or one item of it; the number of rows deleted.

    Only the user's own rows can match, so another person's item id deletes nothing.
    Public play counts stay: they hold no one's name.
    """
    if kind is None:
        return plays_of(user).delete()[0] + Skip.objects.filter(user=user).delete()[0]
    rows = plays_of(user) if kind == "play" else Skip.objects.filter(user=user)
    return rows.filter(pk=pk).delete()[0]


def record_skip(user, track: Track, seconds: float) -> bool:
    """Note that user left track after seconds; True if that counts as a skip."""
    if seconds >= SKIP_SECONDS:
        return False
    Skip.objects.update_or_create(user=user, track=track, defaults={"seconds": seconds})
    return True


def set_styles(user, styles: list[str]) -> list[str]:
    """Replace the user's style picks; returns them normalised (lower case, unique)."""
    from musicweb.tags import parse_tags

    chosen = parse_tags(",".join(styles))
    StylePick.objects.filter(user=user).exclude(style__in=chosen).delete()
    for style in chosen:
        StylePick.objects.get_or_create(user=user, style=style)
    return chosen
