"""The clip library in the API: upload, list, read, rename/tag, delete one's own clips."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from musicweb.library.forms import ClipForm
from musicweb.library.ingest import UploadRejected, ingest
from musicweb.library.models import SORTS, Clip
from musicweb.library.serializers import ClipSerializer, ClipUploadSerializer
from musicweb.library.views import get_clip_for_user
from musicweb.permissions import OwnerPermission
from musicweb.rest import ApiMixin, form_errors


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Search titles, tags and file names."),
            OpenApiParameter("sort", str, enum=list(SORTS), description="Order of the list."),
        ]
    ),
    create=extend_schema(request={"multipart/form-data": ClipUploadSerializer}),
)
class ClipViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One's own clips; other people's are 404, as on the pages."""

    queryset = Clip.objects.all()
    serializer_class = ClipSerializer
    permission_classes = [IsAuthenticated, OwnerPermission]
    lookup_field = "uid"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        params = self.request.query_params
        return (
            Clip.objects.owned_by(self.request.user)
            .search(params.get("q", ""))
            .sorted_by(params.get("sort", "newest"))
        )

    def get_object(self) -> Clip:
        clip = get_clip_for_user(self.request.user, self.kwargs["uid"])
        self.check_object_permissions(self.request, clip)
        return clip

    def create(self, request, *args, **kwargs):
        upload = ClipUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            clip = ingest(request.user, upload.validated_data["file"])
        except UploadRejected as exc:
            if exc.status != status.HTTP_400_BAD_REQUEST:  # the server's fault, not the file's
                error = APIException(str(exc))
                error.status_code = exc.status
                raise error from None
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(self.get_serializer(clip).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        # The page's form is the one validation of a title and tags.
        clip = serializer.instance
        data = {"title": clip.title, "tags": clip.tags, **serializer.validated_data}
        form = ClipForm(data, instance=clip)
        if not form.is_valid():
            raise form_errors(form)
        form.save()
