"""Practice pieces: a melody written for a student, its score, MIDI and audio."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from musicweb.files import all_or_nothing, delete_folder

STYLE_CHOICES = [("chorale", "Chorale"), ("folk", "Folk song"), ("irish", "Irish tune")]
LEVEL_CHOICES = [(i, str(i)) for i in range(1, 6)]
# name -> (field, content type, file suffix)
FILES = {
    "svg": ("svg", "image/svg+xml", "svg"),
    "pdf": ("pdf", "application/pdf", "pdf"),
    "musicxml": ("musicxml", "application/vnd.recordare.musicxml+xml", "musicxml"),
    "midi": ("midi", "audio/midi", "mid"),
    "audio": ("audio", "audio/flac", "flac"),
}


class PracticePieceQuerySet(models.QuerySet):
    def owned_by(self, user) -> PracticePieceQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def published(self) -> PracticePieceQuerySet:
        return self.filter(published_at__isnull=False)

    def visible_to(self, user) -> PracticePieceQuerySet:
        """Published pieces for everyone, plus one's own."""
        if not user.is_authenticated:
            return self.published()
        return self.filter(Q(published_at__isnull=False) | Q(owner=user))


def piece_folder(piece: PracticePiece) -> str:
    return f"practice/{piece.owner_id}/{piece.uid.hex}"


class PracticePiece(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_pieces"
    )
    title = models.CharField(max_length=200)
    instrument = models.CharField(max_length=40)
    style = models.CharField(max_length=20, choices=STYLE_CHOICES)
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    bars = models.PositiveSmallIntegerField()
    seed = models.PositiveIntegerField()
    bpm = models.PositiveSmallIntegerField()
    key_name = models.CharField(max_length=40)
    notes = models.PositiveIntegerField()
    duration = models.FloatField(help_text="Seconds at the written tempo.")
    model_version = models.CharField(max_length=80)
    timemap = models.JSONField(default=list, help_text="verovio's note onsets in ms.")
    svg = models.FileField(max_length=300)
    pdf = models.FileField(max_length=300)
    musicxml = models.FileField(max_length=300)
    midi = models.FileField(max_length=300)
    audio = models.FileField(max_length=300)
    published_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = PracticePieceQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("practice:detail", args=[self.uid])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def publish(self) -> None:
        if self.published_at is None:
            self.published_at = timezone.now()
            self.save(update_fields=["published_at"])

    def unpublish(self) -> None:
        self.published_at = None
        self.save(update_fields=["published_at"])

    @classmethod
    def make(
        cls,
        owner,
        *,
        instrument: str,
        style: str,
        level: int,
        bars: int,
        seed: int,
        title: str = "",
    ) -> PracticePiece:
        """Write, engrave and render a piece, and store it with its files, all or nothing.

        The engine is imported here so web processes start without torch. A bad
        request raises the engine's ComposeError (a ValueError) before anything is written.
        """
        import torch

        from generator.engine import practice
        from generator.engine.practice import compose, engrave

        # One thread: the writer runs 16 small steps a bar, where threads only contend.
        torch.set_num_threads(1)
        request = compose.Request(style, level, bars, instrument, seed)
        request.check()
        writer = practice.load("melody_cnn")
        piece = compose.compose(writer.model, [request])[0]
        inst = compose.INSTRUMENTS[instrument]
        title = title or f"{dict(STYLE_CHOICES)[style]} for {inst.name.lower()}, level {level}"
        outputs = engrave.write_out(piece, title)
        from music21 import key

        key_name = key.KeySignature(piece.sharps).asKey(piece.mode).name.replace("-", "♭")
        obj = cls(
            owner=owner, title=title, instrument=instrument, style=style, level=level,
            bars=bars, seed=seed, bpm=piece.bpm, key_name=key_name, notes=len(piece.notes),
            duration=outputs.seconds, model_version=writer.version,
            timemap=outputs.engraving.timemap,
        )  # fmt: skip
        contents = {
            "svg": outputs.engraving.svg.encode(),
            "pdf": outputs.pdf,
            "musicxml": outputs.engraving.musicxml,
            "midi": outputs.engraving.midi,
            "audio": outputs.audio,
        }
        folder = piece_folder(obj)
        with all_or_nothing(obj.svg.storage) as save, transaction.atomic():
            for name, (field, _, suffix) in FILES.items():
                getattr(obj, field).name = save(
                    f"{folder}/piece.{suffix}", ContentFile(contents[name])
                )
            obj.save()
        return obj


def _delete_piece_files(sender, instance: PracticePiece, **kwargs) -> None:
    storage = instance.svg.storage
    folder = piece_folder(instance)
    transaction.on_commit(lambda: delete_folder(storage, folder))


models.signals.post_delete.connect(_delete_piece_files, sender=PracticePiece)
