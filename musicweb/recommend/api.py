"""For you, radio, history, skips and style picks in the API.

The rules are the pages' own (models.py and data.py): history and picks are
always the requesting user's, so another person's ids find nothing (404).
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from musicweb.gallery.models import Track
from musicweb.gallery.serializers import TrackSerializer
from musicweb.gallery.views import get_track_for_user
from musicweb.recommend import data
from musicweb.recommend.models import HISTORY_KINDS, forget, history, record_skip, set_styles
from musicweb.recommend.serializers import (
    DeletedSerializer,
    HistorySerializer,
    PicksSerializer,
    RadioQuerySerializer,
    SkipResultSerializer,
    SkipSerializer,
    StylesSerializer,
)
from musicweb.rest import ApiMixin


def picks_data(picks, uids: dict[int, str]) -> list[dict]:
    """Serialise (track, reason) pairs; uids maps a reason's track id to its uid.

    One serializer for the whole list: DRF builds a serializer's fields once per
    instance, which cost more than the ranking when done per track.
    """
    tracks = TrackSerializer([track for track, _ in picks], many=True).data
    return [
        {
            "track": track,
            "reason": {
                "kind": reason.kind,
                "text": reason.text,
                "track": uids.get(reason.track_id) if reason.track_id else None,
            },
        }
        for track, (_, reason) in zip(tracks, picks, strict=True)
    ]


def seed_uids(picks) -> dict[int, str]:
    ids = {reason.track_id for _, reason in picks if reason.track_id}
    return {pk: str(uid) for pk, uid in Track.objects.filter(pk__in=ids).values_list("pk", "uid")}


LIMIT = OpenApiParameter("limit", int, description="How many (1 to 50, default 20).")


class RecommendationsView(ApiMixin, generics.GenericAPIView):
    """Tracks for you, best first, each with why; never your own, hidden or rated ones."""

    serializer_class = PicksSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[LIMIT])
    def get(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 20)), 1), 50)
        except ValueError:
            limit = 20
        picks, version = data.live_picks(request.user, limit=limit)
        key = "recommend:api:" + version
        results = cache.get(key)
        if results is None:
            rows = data.rows(picks, request.user)
            results = picks_data(rows, seed_uids(rows))
            cache.set(key, results, data.PICKS_SECONDS)
        return Response({"results": results})


class RadioView(ApiMixin, generics.GenericAPIView):
    """The next tracks for a radio started from a track or a style; your skips left out."""

    serializer_class = PicksSerializer
    permission_classes = [AllowAny]

    @extend_schema(parameters=[RadioQuerySerializer])
    def get(self, request):
        query = RadioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given = query.validated_data
        track = get_track_for_user(request.user, given["track"]) if given.get("track") else None
        queued = [u.strip() for u in given.get("exclude", "").split(",") if u.strip()]
        exclude = list(
            Track.objects.filter(uid__in=_valid_uids(queued)).values_list("pk", flat=True)
        )
        picks = data.radio(
            request.user,
            track=track,
            style=given.get("style", "").strip().lower(),
            exclude=exclude,
            limit=given["limit"],
        )
        uids = seed_uids(picks)
        return Response({"results": picks_data(picks, uids)})


def _valid_uids(values: list[str]) -> list[str]:
    import uuid

    valid = []
    for value in values[:200]:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


class HistoryView(ApiMixin, generics.GenericAPIView):
    """Your listening history (plays and skips), newest first; DELETE forgets all of it."""

    serializer_class = HistorySerializer
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(HistorySerializer({"results": history(request.user)}).data)

    @extend_schema(operation_id="me_history_clear", responses={200: DeletedSerializer})
    def delete(self, request):
        return Response({"deleted": forget(request.user)})


class HistoryItemView(ApiMixin, generics.GenericAPIView):
    """Forget one play or skip of yours (404 for anyone else's)."""

    serializer_class = DeletedSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_history_item_destroy",
        responses={200: DeletedSerializer},
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(HISTORY_KINDS)),
            OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The item's id."),
        ],
    )
    def delete(self, request, kind: str, pk: int):
        if kind not in HISTORY_KINDS or not forget(request.user, kind, pk):
            raise Http404
        return Response({"deleted": 1})


class SkipView(ApiMixin, generics.GenericAPIView):
    """Say you left a track early (under 30 s): radio will not offer it to you again."""

    serializer_class = SkipSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(request=SkipSerializer, responses=SkipResultSerializer)
    def post(self, request):
        given = SkipSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        track = get_track_for_user(request.user, given.validated_data["track"])
        return Response(
            {"recorded": record_skip(request.user, track, given.validated_data["seconds"])}
        )


class StylesView(ApiMixin, APIView):
    """The styles you like (where For you starts before you have rated anything).

    A plain APIView: a generic view's OPTIONS would look for an object to PUT to.
    """

    permission_classes = [IsAuthenticated]

    def _answer(self, styles):
        return Response({"styles": list(styles), "choices": list(data.style_choices())})

    @extend_schema(responses=StylesSerializer)
    def get(self, request):
        return self._answer(request.user.style_picks.values_list("style", flat=True))

    @extend_schema(request=StylesSerializer, responses=StylesSerializer)
    def put(self, request):
        given = StylesSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(set_styles(request.user, given.validated_data["styles"]))
