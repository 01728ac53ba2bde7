"""WebSocket routes of the whole site, gathered from the apps, and a close for any other path."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from generator.routing import websocket_urlpatterns as generator_routes
from musicweb.gallery.routing import websocket_urlpatterns as gallery_routes

NOT_FOUND = 4404


class UnknownPath(AsyncWebsocketConsumer):
    """Refuse the handshake with 4404, so a mistyped address is an answer, not a server error."""

    async def connect(self) -> None:
        await self.close(code=NOT_FOUND)


websocket_urlpatterns = [
    *generator_routes,
    *gallery_routes,
    re_path(r"", UnknownPath.as_asgi()),
]
