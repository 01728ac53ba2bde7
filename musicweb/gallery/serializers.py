"""Tracks, ratings, reports and profiles in the API."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from musicweb.gallery.models import FORMATS, Report, Track
from musicweb.rest import TagsField

_URLS_SCHEMA = {
    "type": "object",
    "properties": {
        "page": {"type": "string"},
        "audio": {"type": "string"},
        "spectrogram": {"type": "string"},
        "downloads": {"type": "object", "properties": {f: {"type": "string"} for f in FORMATS}},
    },
}


class AuthorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")


class TrackSerializer(serializers.ModelSerializer):
    """A track as listed (what a gallery card shows)."""

    tags = TagsField(read_only=True)
    author = AuthorSerializer(source="owner", read_only=True)
    model_version = serializers.SlugRelatedField(
        slug_field="label", read_only=True, allow_null=True
    )
    model_version_id = serializers.IntegerField(read_only=True, allow_null=True)
    rating_average = serializers.FloatField(read_only=True, allow_null=True)
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = (
            "uid",
            "title",
            "tags",
            "author",
            "mode",
            "model_version",
            "model_version_id",
            "duration",
            "published",
            "published_at",
            "featured",
            "play_count",
            "rating_average",
            "rating_count",
            "score",
            "urls",
        )
        read_only_fields = fields

    @extend_schema_field(_URLS_SCHEMA)
    def get_urls(self, track: Track) -> dict:
        return track.urls()


class TrackDetailSerializer(TrackSerializer):
    my_rating = serializers.SerializerMethodField()
    recipe = serializers.SerializerMethodField()

    class Meta(TrackSerializer.Meta):
        fields = (
            *TrackSerializer.Meta.fields,
            "description",
            "recipe",
            "peaks",
            "hidden",
            "created",
            "my_rating",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_rating(self, track: Track) -> int | None:
        return self.context.get("my_rating")

    @extend_schema_field(
        {
            "type": "object",
            "description": "Mode, model, seed and parameters; `sources` (the source clips' "
            "titles) for the owner only, others get `private_sources`, their number.",
        }
    )
    def get_recipe(self, track: Track) -> dict:
        return track.recipe_for(self.context.get("user") or AnonymousUser())


class PublishSerializer(serializers.Serializer):
    """Publish (or update the published text of) one's track."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    tags = TagsField(required=False, help_text="A list of tags, or comma-separated text.")


class RatingSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)


class RatingStateSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    mine = serializers.IntegerField(allow_null=True)


class PlaySerializer(serializers.Serializer):
    counted = serializers.BooleanField(help_text="False when this listener was counted this hour.")
    play_count = serializers.IntegerField()


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ("reason", "details")


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    tracks = serializers.IntegerField()
    plays = serializers.IntegerField()
    ratings_received = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    ratings_given = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    quota_bytes = serializers.IntegerField()
    used_bytes = serializers.IntegerField()
    clips = serializers.IntegerField()
    tracks = serializers.IntegerField()
    jobs = serializers.IntegerField()
