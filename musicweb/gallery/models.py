"""Generated tracks: private to their owner until published to the gallery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from generator.catalog import MODE_CHOICES
from musicweb.tags import parse_tags

FORMATS = ("wav", "flac", "ogg", "mp3")


class TrackQuerySet(models.QuerySet):
    def owned_by(self, user) -> TrackQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def published(self) -> TrackQuerySet:
        return self.filter(published=True, hidden=False)

    def visible_to(self, user) -> TrackQuerySet:
        """Published tracks for everyone, plus one's own; staff see all."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(models.Q(published=True, hidden=False) | models.Q(owner=user))
        return self.published()


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
    embedding = models.JSONField(default=list, blank=True, help_text="Tagger embedding.")
    created = models.DateTimeField(auto_now_add=True)

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created"]),
            models.Index(fields=["published", "hidden", "-published_at"]),
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

    def format_name(self, fmt: str) -> str:
        return f"{track_folder(self)}/track.{fmt}"

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


@receiver(post_delete, sender=Track)
def _delete_track_files(sender, instance: Track, **kwargs) -> None:
    """Remove the master, every derived format and the image once the row is gone."""
    storage = instance.audio.storage
    names = [f.name for f in (instance.audio, instance.spectrogram) if f]
    names += [instance.format_name(fmt) for fmt in FORMATS]

    def remove() -> None:
        for name in set(names):
            storage.delete(name)

    transaction.on_commit(remove)
