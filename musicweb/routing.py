"""WebSocket routes of the whole site, gathered from the apps."""

from __future__ import annotations

from generator.routing import websocket_urlpatterns as generator_routes
from musicweb.gallery.routing import websocket_urlpatterns as gallery_routes

websocket_urlpatterns = [*generator_routes, *gallery_routes]
