"""A person's private library of uploaded audio clips."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, Sum
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from musicweb.tags import parse_tags

SORTS = {
    "newest": "-created",
    "oldest": "created",
    "title": "title",
    "longest": "-duration",
    "shortest": "duration",
}


class ClipQuerySet(models.QuerySet):
    def owned_by(self, user) -> ClipQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def search(self, query: str) -> ClipQuerySet:
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(title__icontains=query) | Q(tags__icontains=query) | Q(original_name__icontains=query)
        )

    def sorted_by(self, key: str) -> ClipQuerySet:
        return self.order_by(SORTS.get(key, SORTS["newest"]), "-id")

    def stored_bytes(self) -> int:
        return self.aggregate(total=Sum("stored_bytes"))["total"] or 0


def clip_folder(clip: Clip) -> str:
    return f"clips/{clip.owner_id}/{clip.uid.hex}"


class Clip(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips"
    )
    title = models.CharField(max_length=200)
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    embedding = models.JSONField(
        default=list, blank=True, help_text="Tagger embedding, for finding similar music."
    )
    original_name = models.CharField(max_length=255, help_text="The file name as uploaded.")
    original = models.FileField(max_length=300)
    analysis = models.FileField(
        max_length=300,
        help_text="FLAC copy the modes read: 44,100 Hz, stereo when the upload is (version 2).",
    )
    analysis_version = models.PositiveSmallIntegerField(
        default=1,
        help_text="How the analysis copy was made: 1 mono 22,050 Hz (first release), 2 full band. "
        "manage.py rederive_clips brings older clips up to date from their originals.",
    )
    spectrogram = models.FileField(max_length=300)
    peaks = models.JSONField(default=list)
    format = models.CharField(max_length=20)
    subtype = models.CharField(max_length=40, blank=True)
    duration = models.FloatField()
    sample_rate = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    stored_bytes = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    objects = ClipQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("library:detail", args=[self.uid])

    @property
    def tag_list(self) -> list[str]:
        return parse_tags(self.tags)

    def files(self) -> list[models.fields.files.FieldFile]:
        return [f for f in (self.original, self.analysis, self.spectrogram) if f]


@receiver(post_delete, sender=Clip)
def _delete_clip_files(sender, instance: Clip, **kwargs) -> None:
    """Remove a clip's files once its row is gone for good (also through cascades)."""
    names = [f.name for f in instance.files()]
    storage = instance.original.storage

    def remove() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)
