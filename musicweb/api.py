"""The REST API: one router for every app's viewsets, the token endpoint, schema and docs."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import AnonRateThrottle

from generator.api import JobViewSet, ModelVersionViewSet
from musicweb.accounts import throttle
from musicweb.accounts.api import MyTokenView
from musicweb.gallery.api import MeView, TrackViewSet, UserViewSet
from musicweb.library.api import ClipViewSet
from musicweb.practice.api import PracticePieceViewSet
from musicweb.recommend import api as recommend_api
from musicweb.rest import ApiMixin, api_not_found


class TokenView(ApiMixin, ObtainAuthToken):
    """Exchange a username and password for an API token (send it as `Token <key>`).

    Guessing is slowed exactly like the log-in page: the same counts, the same pause
    (django-axes sees every authenticate() call; see musicweb/accounts/throttle.py).
    """

    authentication_classes = []
    throttle_classes = [AnonRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise Throttled(
                    wait=throttle.retry_after(request), detail="Too many failed log-ins."
                ) from None
            raise


# The API's docs page is Redoc, served by this site (templates/drf_spectacular/redoc.html, no
# inline script). Redoc writes its own <style> elements, draws data: images and starts a blob
# worker: the only page that needs more than the site's files, and only for styles and workers.
REDOC_POLICY = csp_update(
    {
        "style-src": [UNSAFE_INLINE],
        "img-src": ["data:"],
        "worker-src": ["blob:"],
    }
)

router = DefaultRouter()
router.register("clips", ClipViewSet, basename="clip")
router.register("jobs", JobViewSet, basename="job")
router.register("tracks", TrackViewSet, basename="track")
router.register("models", ModelVersionViewSet, basename="model")
router.register("users", UserViewSet, basename="user")
router.register("practice", PracticePieceViewSet, basename="practice")

urlpatterns = [
    path("", include(router.urls)),
    path("me/", MeView.as_view(), name="me"),
    path("me/token/", MyTokenView.as_view(), name="my_token"),
    path(
        "me/recommendations/", recommend_api.RecommendationsView.as_view(), name="recommendations"
    ),
    path("me/history/", recommend_api.HistoryView.as_view(), name="history"),
    path(
        "me/history/<str:kind>/<int:pk>/",
        recommend_api.HistoryItemView.as_view(),
        name="history_item",
    ),
    path("me/skips/", recommend_api.SkipView.as_view(), name="skips"),
    path("me/styles/", recommend_api.StylesView.as_view(), name="styles"),
    path("radio/", recommend_api.RadioView.as_view(), name="radio"),
    path("token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", REDOC_POLICY(SpectacularRedocView.as_view(url_name="schema")), name="docs"),
    re_path(r"", api_not_found),
]
