"""Recommendations, radio, history, skips and style picks in the API."""

from __future__ import annotations

from rest_framework import serializers

from musicweb.gallery.serializers import TrackSerializer
from musicweb.recommend.models import HISTORY_KINDS


class ReasonSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="rated, played, published, clip, style, popular, similar"
    )
    text = serializers.CharField(help_text='Why, in words: "because you rated X 5 stars".')
    track = serializers.UUIDField(allow_null=True, help_text="The track the reason names, if any.")


class PickSerializer(serializers.Serializer):
    track = TrackSerializer()
    reason = ReasonSerializer()


class PicksSerializer(serializers.Serializer):
    results = PickSerializer(many=True)


class HistoryItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HISTORY_KINDS)
    id = serializers.IntegerField()
    track = TrackSerializer()
    at = serializers.DateTimeField(help_text="Plays are kept to the hour.")
    seconds = serializers.FloatField(allow_null=True, help_text="Where a skip left the track.")


class HistorySerializer(serializers.Serializer):
    results = HistoryItemSerializer(many=True)


class DeletedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()


class SkipSerializer(serializers.Serializer):
    track = serializers.UUIDField()
    seconds = serializers.FloatField(min_value=0, help_text="How far into the track it was left.")


class SkipResultSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False when the track was heard 30 s or more.")


class StylesSerializer(serializers.Serializer):
    styles = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=12, help_text="Tags you like."
    )
    choices = serializers.ListField(child=serializers.CharField(), read_only=True)


class RadioQuerySerializer(serializers.Serializer):
    track = serializers.UUIDField(required=False)
    style = serializers.CharField(required=False, max_length=30)
    exclude = serializers.CharField(
        required=False, allow_blank=True, help_text="Comma-separated track uids already queued."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)

    def validate(self, data):
        if bool(data.get("track")) == bool(data.get("style")):
            raise serializers.ValidationError("Give either a track or a style, not both.")
        return data
