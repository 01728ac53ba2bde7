from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from musicweb.practice.forms import INSTRUMENT_CHOICES, MAX_BARS
from musicweb.practice.models import FILES, LEVEL_CHOICES, STYLE_CHOICES, PracticePiece


class PracticeRequestSerializer(serializers.Serializer):
    """What to write (the schema only; the page's form validates)."""

    instrument = serializers.ChoiceField(choices=INSTRUMENT_CHOICES)
    style = serializers.ChoiceField(choices=STYLE_CHOICES)
    level = serializers.ChoiceField(choices=LEVEL_CHOICES)
    bars = serializers.IntegerField(min_value=2, max_value=MAX_BARS)
    seed = serializers.IntegerField(min_value=0, required=False)
    title = serializers.CharField(max_length=200, required=False)


class PracticePieceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.public_name", read_only=True)
    published = serializers.BooleanField(source="is_published", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = PracticePiece
        fields = [
            "uid", "title", "owner", "instrument", "style", "level", "bars", "seed", "bpm",
            "key_name", "notes", "duration", "model_version", "published", "created", "files",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_files(self, piece: PracticePiece) -> dict[str, str]:
        """URLs of the score (SVG, PDF, MusicXML), MIDI, audio and the timemap."""
        request = self.context.get("request")
        urls = {k: reverse("practice:file", args=[piece.uid, k]) for k in (*FILES, "timemap")}
        return {k: request.build_absolute_uri(u) if request else u for k, u in urls.items()}
