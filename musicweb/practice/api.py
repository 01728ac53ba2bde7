"""Practice pieces in the API: write one, list, read, publish, delete one's own."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from musicweb.files import StorageFull
from musicweb.practice.forms import PracticeForm
from musicweb.practice.models import PracticePiece
from musicweb.practice.serializers import PracticePieceSerializer, PracticeRequestSerializer
from musicweb.practice.views import get_piece_for_user, make_from_form
from musicweb.rest import ApiMixin, form_errors


class StorageFullError(APIException):
    status_code = status.HTTP_507_INSUFFICIENT_STORAGE


class PracticePieceViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One's own practice pieces, and others' published ones by uid; writing takes seconds."""

    queryset = PracticePiece.objects.all()
    serializer_class = PracticePieceSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "uid"

    def get_queryset(self):
        return PracticePiece.objects.owned_by(self.request.user)

    def get_object(self) -> PracticePiece:
        own = self.action != "retrieve"
        return get_piece_for_user(self.request.user, self.kwargs["uid"], own=own)

    @extend_schema(request=PracticeRequestSerializer, responses={201: PracticePieceSerializer})
    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, Mapping):
            raise ValidationError("Send the piece's settings as a JSON object or a form.")
        form = PracticeForm(request.data)
        if not form.is_valid():
            raise form_errors(form)
        try:
            piece = make_from_form(request.user, form)
        except StorageFull as exc:
            raise StorageFullError(str(exc)) from None
        return Response(self.get_serializer(piece).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PracticePieceSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, uid=None):
        piece = self.get_object()
        piece.publish()
        return Response(self.get_serializer(piece).data)

    @extend_schema(request=None, responses=PracticePieceSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, uid=None):
        piece = self.get_object()
        piece.unpublish()
        return Response(self.get_serializer(piece).data)
