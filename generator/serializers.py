"""Generation jobs and model versions in the API.

A job request is validated by generator.forms.GenerateForm, as on the page;
JobCreateSerializer only describes its fields for the schema.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generator.engine.catalog import MODE_CHOICES
from generator.models import GenerationJob, ModelVersion


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ("id", "name", "version", "label", "arch", "modes", "default_for", "metrics")
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    """A job as listed: its inputs and its status, without per-job queries."""

    model_version = serializers.SlugRelatedField(slug_field="label", read_only=True)
    model_version_id = serializers.IntegerField(read_only=True)
    clip = serializers.SlugRelatedField(slug_field="uid", read_only=True, allow_null=True)
    clip2 = serializers.SlugRelatedField(slug_field="uid", read_only=True, allow_null=True)
    track = serializers.SlugRelatedField(slug_field="uid", read_only=True, allow_null=True)

    class Meta:
        model = GenerationJob
        fields = (
            "uid",
            "title",
            "mode",
            "model_version",
            "model_version_id",
            "clip",
            "clip2",
            "source_names",
            "seconds",
            "strength",
            "steps",
            "seed",
            "status",
            "progress",
            "stage",
            "error",
            "created",
            "started",
            "finished",
            "track",
        )
        read_only_fields = fields


class JobStateSerializer(serializers.Serializer):
    """The job's live state, the same dict the WebSocket sends."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=GenerationJob.Status.choices)
    progress = serializers.FloatField()
    stage = serializers.CharField()
    eta = serializers.FloatField(allow_null=True)
    queue_position = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    result = serializers.DictField(required=False, help_text="Track URLs once done.")


class JobDetailSerializer(JobSerializer):
    state = serializers.SerializerMethodField()
    recipe = serializers.JSONField(read_only=True)

    class Meta(JobSerializer.Meta):
        fields = (*JobSerializer.Meta.fields, "recipe", "state")
        read_only_fields = fields

    @extend_schema_field(JobStateSerializer)
    def get_state(self, job: GenerationJob) -> dict:
        return job.state()


class JobCreateSerializer(serializers.Serializer):
    """The fields of a generation request (validated by the Generate form)."""

    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    clip = serializers.UUIDField(required=False, help_text="uid of one of your clips.")
    clip2 = serializers.UUIDField(required=False, help_text="Second clip (style, interpolate).")
    model_version = serializers.IntegerField(
        required=False, help_text="id from /api/models/; empty for the mode's default."
    )
    seconds = serializers.FloatField(min_value=1)
    strength = serializers.FloatField(min_value=0, max_value=1, required=False)
    steps = serializers.IntegerField(min_value=1, max_value=200, required=False)
    seed = serializers.IntegerField(min_value=0, required=False, help_text="Random if empty.")
    title = serializers.CharField(max_length=200, required=False)
