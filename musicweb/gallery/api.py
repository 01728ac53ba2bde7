"""Tracks in the API: the gallery's list and filters, publishing, rating, plays, reports.

Lookups and rules are the pages' own: get_track_for_user() (404 for what one
may not see) and musicweb.permissions (who may publish, rate, report).
"""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from generator.engine.catalog import MODE_CHOICES
from generator.models import GenerationJob
from musicweb import permissions
from musicweb.gallery.forms import GalleryFilterForm, PublishForm
from musicweb.gallery.models import (
    SORTS,
    Report,
    Track,
    address_key,
    author_stats,
    listener_key,
)
from musicweb.gallery.serializers import (
    MeSerializer,
    PlaySerializer,
    ProfileSerializer,
    PublishSerializer,
    RatingSerializer,
    RatingStateSerializer,
    ReportSerializer,
    TrackDetailSerializer,
    TrackSerializer,
)
from musicweb.gallery.views import VISITOR_CACHE_SECONDS, get_track_for_user, rating_state
from musicweb.library.models import Clip
from musicweb.rest import ApiMixin, form_errors

FILTERS = [
    OpenApiParameter("q", str, description="Search titles, descriptions and tags."),
    OpenApiParameter("sort", str, enum=list(SORTS), description="newest (default), top, ..."),
    OpenApiParameter("mode", str, enum=[m for m, _ in MODE_CHOICES]),
    OpenApiParameter("model", int, description="A model version id from /api/models/."),
    OpenApiParameter("tag", str, description="One tag, matched whole."),
    OpenApiParameter("author", str, description="A username."),
    OpenApiParameter("featured", bool),
    OpenApiParameter("mine", bool, description="Your own tracks, private ones included."),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class TrackViewSet(
    ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Published tracks for everyone; one's own private ones with ?mine=true."""

    queryset = Track.objects.all()
    permission_classes = [AllowAny, permissions.TrackPermission]
    lookup_field = "uid"

    def get_serializer_class(self):
        return TrackSerializer if self.action in ("list", "similar") else TrackDetailSerializer

    def get_queryset(self):
        params = self.request.query_params
        form = GalleryFilterForm(params)
        if not form.is_valid():
            raise form_errors(form)
        base = None
        if params.get("mine") in ("1", "true", "True"):
            if not self.request.user.is_authenticated:
                raise NotAuthenticated("Log in to list your own tracks.")
            base = Track.objects.owned_by(self.request.user)
        return form.tracks(base).for_cards()

    def list(self, request, *args, **kwargs):
        """The gallery list; signed-out callers share a copy at most a few seconds old."""
        if request.user.is_authenticated:
            return super().list(request, *args, **kwargs)
        key = "visitor-api:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        data = cache.get(key)
        if data is None:
            data = super().list(request, *args, **kwargs).data
            cache.set(key, data, VISITOR_CACHE_SECONDS)
        return Response(data)

    def get_object(self) -> Track:
        track = get_track_for_user(self.request.user, self.kwargs["uid"])
        self.check_object_permissions(self.request, track)
        return track

    def _detail(self, track: Track, status_code: int = 200) -> Response:
        state = rating_state(track, self.request.user)
        serializer = TrackDetailSerializer(
            track, context={"my_rating": state["mine"], "user": self.request.user}
        )
        return Response(serializer.data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=PublishSerializer, responses=TrackDetailSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.TrackPermission],
    )
    def publish(self, request, uid=None):
        """Publish one's track (or change its published title, description and tags)."""
        track = self.get_object()
        given = PublishSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = {"title": track.title, "description": track.description, "tags": track.tags}
        data.update(given.validated_data)
        form = PublishForm(data, instance=track)
        if not form.is_valid():
            raise form_errors(form)
        track.publish(**{k: form.cleaned_data[k] for k in ("title", "description", "tags")})
        return self._detail(track)

    @extend_schema(request=None, responses=TrackDetailSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.TrackPermission],
    )
    def unpublish(self, request, uid=None):
        track = self.get_object()
        track.unpublish()
        return self._detail(track)

    @extend_schema(methods=["GET", "DELETE"], request=None, responses=RatingStateSerializer)
    @extend_schema(methods=["PUT"], request=RatingSerializer, responses=RatingStateSerializer)
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        permission_classes=[IsAuthenticated, permissions.TrackPermission],
    )
    def rating(self, request, uid=None):
        """Your rating of the track: read, set (1 to 5 stars) or remove it."""
        track = self.get_object()
        if request.method != "GET":
            refusal = permissions.rating_refusal(request.user, track)
            if refusal:
                raise PermissionDenied(refusal)
            if request.method == "PUT":
                given = RatingSerializer(data=request.data)
                given.is_valid(raise_exception=True)
                track.rate(request.user, given.validated_data["stars"])
            else:
                track.unrate(request.user)
        return Response(rating_state(track, request.user))

    @extend_schema(request=None, responses=PlaySerializer)
    @action(detail=True, methods=["post"])
    def play(self, request, uid=None):
        """Count a play: once per listener per track per hour, however often it is called."""
        track = self.get_object()
        counted = track.count_play(listener_key(request), address_key(request))
        return Response({"counted": counted, "play_count": track.play_count})

    @extend_schema(request=ReportSerializer, responses={201: ReportSerializer})
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.TrackPermission],
    )
    def report(self, request, uid=None):
        """Report the track to the moderators, with a reason."""
        track = self.get_object()
        refusal = permissions.report_refusal(request.user, track)
        if refusal:
            raise PermissionDenied(refusal)
        given = ReportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        Report.objects.update_or_create(
            track=track, reporter=request.user, defaults={**given.validated_data, "resolved": False}
        )
        return Response(given.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TrackSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def similar(self, request, uid=None):
        """More like this: nearest embeddings, else shared tags and mode."""
        track = self.get_object()
        return Response(TrackSerializer(track.similar(), many=True).data)


class UserViewSet(ApiMixin, viewsets.GenericViewSet):
    """Public profiles: a person's rating stats (their tracks: /api/tracks/?author=)."""

    queryset = get_user_model().objects.filter(is_active=True)
    serializer_class = ProfileSerializer
    permission_classes = [AllowAny]
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"

    def retrieve(self, request, username=None):
        person = get_object_or_404(self.get_queryset(), username=username)
        data = {"username": person.username, "name": person.public_name, **author_stats(person)}
        return Response(ProfileSerializer(data).data)


class MeView(ApiMixin, generics.GenericAPIView):
    """Who you are, and what you have."""

    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        clips = Clip.objects.owned_by(user)
        data = {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "is_staff": user.is_staff,
            "quota_bytes": user.quota_bytes,
            "used_bytes": clips.stored_bytes(),
            "clips": clips.count(),
            "tracks": Track.objects.owned_by(user).count(),
            "jobs": GenerationJob.objects.owned_by(user).count(),
        }
        return Response(MeSerializer(data).data)
