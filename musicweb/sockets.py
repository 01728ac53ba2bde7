"""The base of the site's WebSocket consumers: frames must be JSON objects.

Channels' JSON consumer raises on a frame that is not JSON (or is binary), and
the consumers read fields from what arrives; either way a stray frame would end
the socket with a server error. Here such a frame gets a clear answer instead:
an error message, then the socket is closed with 4400 (a bad request).
"""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

BAD_REQUEST = 4400


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
