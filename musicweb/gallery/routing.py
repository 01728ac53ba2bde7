from __future__ import annotations

from django.urls import path

from musicweb.gallery import consumers

websocket_urlpatterns = [path("ws/tracks/<uuid:uid>/", consumers.TrackConsumer.as_asgi())]
