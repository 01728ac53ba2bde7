"""WebSocket routes of the whole site, gathered from the apps."""

from __future__ import annotations

websocket_urlpatterns: list = []
