"""Generation jobs and models in the API: submit, follow, cancel; list active models."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from generator.engine.catalog import MODE_CHOICES, MODE_INFO
from generator.forms import GenerateForm
from generator.jobs import JobRefused, submit
from generator.models import GenerationJob, ModelVersion
from generator.serializers import (
    JobCreateSerializer,
    JobDetailSerializer,
    JobSerializer,
    JobStateSerializer,
    ModelVersionSerializer,
)
from musicweb.permissions import OwnerPermission
from musicweb.rest import ApiMixin, form_errors


class JobLimitReached(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "job_refused"
    default_detail = "You have reached a job limit."


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=GenerationJob.Status.values),
        ]
    ),
    create=extend_schema(request=JobCreateSerializer, responses={201: JobDetailSerializer}),
)
class JobViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """One's generation jobs (staff see all, as on the pages)."""

    queryset = GenerationJob.objects.all()
    permission_classes = [IsAuthenticated, OwnerPermission]
    lookup_field = "uid"

    def get_serializer_class(self):
        return JobSerializer if self.action == "list" else JobDetailSerializer

    def get_queryset(self):
        jobs = GenerationJob.objects.owned_by(self.request.user).select_related(
            "model_version", "clip", "clip2", "track"
        )
        wanted = self.request.query_params.get("status")
        if wanted in GenerationJob.Status.values:
            jobs = jobs.filter(status=wanted)
        return jobs.order_by("-created", "-id")

    def get_object(self) -> GenerationJob:
        job = GenerationJob.objects.get_for_user(self.request.user, self.kwargs["uid"])
        self.check_object_permissions(self.request, job)
        return job

    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, Mapping):
            raise ValidationError("Send the job's settings as a JSON object.")
        # Omitted settings take the recipe's defaults in the form, as on the page.
        data = {k: v for k, v in request.data.items() if v is not None}
        form = GenerateForm(request.user, data)
        if not form.is_valid():
            raise form_errors(form)
        try:
            job = submit(request.user, form.cleaned_data)
        except JobRefused as exc:
            raise JobLimitReached(str(exc)) from None
        job = GenerationJob.objects.get_for_user(request.user, job.uid)
        return Response(JobDetailSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=JobStateSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, uid=None):
        """Cancel a queued job at once, or ask the worker to stop a running one."""
        job = self.get_object()
        job.cancel()
        return Response(job.state())


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "mode", str, enum=[m for m, _ in MODE_CHOICES], description="Only those serving it."
            )
        ]
    )
)
class ModelVersionViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active model versions, optionally those serving one mode."""

    queryset = ModelVersion.objects.all()
    serializer_class = ModelVersionSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        mode = self.request.query_params.get("mode")
        if mode in MODE_INFO:
            return ModelVersion.objects.for_mode(mode).order_by("name", "-version")
        return ModelVersion.objects.active().order_by("name", "-version")
