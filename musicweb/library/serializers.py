"""Clips in the API: what a client reads, and the few fields it may change."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from musicweb.library.models import Clip
from musicweb.rest import TagsField


class ClipSerializer(serializers.ModelSerializer):
    tags = TagsField(required=False, help_text="A list of tags, or comma-separated text.")
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Clip
        fields = (
            "uid",
            "title",
            "tags",
            "original_name",
            "format",
            "duration",
            "sample_rate",
            "channels",
            "stored_bytes",
            "created",
            "urls",
        )
        read_only_fields = tuple(f for f in fields if f not in ("title", "tags"))

    @extend_schema_field(
        {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("page", "audio", "spectrogram")},
        }
    )
    def get_urls(self, clip: Clip) -> dict:
        return {
            "page": clip.get_absolute_url(),
            "audio": reverse("library:audio", args=[clip.uid]),
            "spectrogram": reverse("library:spectrogram", args=[clip.uid]),
        }


class ClipUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An audio file (WAV, FLAC, OGG, Opus, MP3).")
