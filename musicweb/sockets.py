"""The site's WebSocket plumbing: the authentication stack, and a consumer base whose
frames must be JSON objects.

Channels' JSON consumer raises on a frame that is not JSON (or is binary), and
the consumers read fields from what arrives; either way a stray frame would end
the socket with a server error. Here such a frame gets a clear answer instead:
an error message, then the socket is closed with 4400 (a bad request).
"""

from __future__ import annotations

import json

from channels.auth import AuthMiddleware
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.sessions import CookieMiddleware, SessionMiddleware

BAD_REQUEST = 4400


class DropNulCookies:
    """Forget cookies whose value holds a NUL before the session is looked up.

    PostgreSQL refuses such text, so looking the session up would end the socket with a
    server error; the HTTP side drops them too (musicweb.middleware.RefuseNulMiddleware).
    """

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        cookies = {k: v for k, v in scope.get("cookies", {}).items() if "\x00" not in v}
        return await self.inner(dict(scope, cookies=cookies), receive, send)


def auth_stack(inner):
    """Channels' AuthMiddlewareStack, with DropNulCookies between cookies and session."""
    return CookieMiddleware(DropNulCookies(SessionMiddleware(AuthMiddleware(inner))))


class JsonObjectConsumer(AsyncJsonWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.send_json(
                {
                    "error": {
                        "code": "bad_request",
                        "message": 'Send a JSON object, such as {"type": "refresh"}.',
                    }
                }
            )
            await self.close(code=BAD_REQUEST)
            return
        await self.receive_json(content, **kwargs)
