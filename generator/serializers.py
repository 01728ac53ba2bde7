"""Generation jobs and model versions in the API.

A job request is validated by generator.forms.GenerateForm, as on the page;
JobCreateSerializer only describes its fields for the schema. Both are made
from the recipe (generator.engine.contract.RECIPE).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generator.engine.catalog import MODE_CHOICES
from generator.engine.contract import RANDOM, RECIPE, SETTINGS, Setting
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
            *SETTINGS,
            "model_version_id",
            "source_names",
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


def serializer_field(setting: Setting) -> serializers.Field:
    """The API field describing one recipe setting; GenerateForm does the checking."""
    common = {"required": setting.required, "help_text": setting.help}
    if setting.default == RANDOM:
        common["help_text"] += " Random if omitted."
    elif setting.default is not None:
        common["default"] = setting.default
        del common["required"]
    limits = {"min_value": setting.minimum, "max_value": setting.maximum}
    if setting.kind == "mode":
        return serializers.ChoiceField(choices=MODE_CHOICES, **common)
    if setting.kind == "clip":
        common["help_text"] += " The uid of one of your clips."
        return serializers.UUIDField(**common)
    if setting.kind == "model":
        common["help_text"] += " An id from /api/models/."
        return serializers.IntegerField(**common)
    if setting.kind == "float":
        return serializers.FloatField(**limits, **common)
    if setting.kind == "int":
        return serializers.IntegerField(**limits, **common)
    if setting.kind == "labels":
        child = serializers.CharField(max_length=setting.max_length)
        return serializers.ListField(child=child, **common)
    return serializers.CharField(max_length=setting.max_length, **common)


JobCreateSerializer = type(
    "JobCreateSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The settings of a generation request (validated by the Generate form).",
        **{setting.name: serializer_field(setting) for setting in RECIPE},
    },
)
