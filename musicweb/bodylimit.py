"""Bound every request body before it is read: 413 from its Content-Length, or as it arrives.

Django's ASGI handler reads a whole body before any view or middleware runs, so
a limit checked inside Django comes too late: a 300 MB POST to any address
would be read in full first. This ASGI middleware sits in front of Django: it
refuses a body whose Content-Length is over the limit without reading a byte
of it, and counts a body without one (chunked) as it arrives, stopping at the
limit. The server (uvicorn) hands the body over as it arrives, with flow
control, so a web process's memory stays flat whatever a client sends.

Uploads (multipart/form-data) may be MAX_UPLOAD_MB and a little for the form
around the file; every other body (JSON, forms) DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from __future__ import annotations

import json

from django.conf import settings

MB = 1024 * 1024
# Room for the multipart envelope and the other fields of an upload form.
MULTIPART_ALLOWANCE = MB


def _header(scope: dict, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


def body_limit(scope: dict) -> tuple[int, str]:
    """The most bytes this request's body may have, and the limit in words."""
    content_type = (_header(scope, b"content-type") or b"").lower()
    if content_type.startswith(b"multipart/form-data"):
        megabytes = settings.MAX_UPLOAD_MB
        return megabytes * MB + MULTIPART_ALLOWANCE, f"uploads are limited to {megabytes} MB"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit, f"request bodies are limited to {limit / MB:g} MB"


async def _refuse(scope: dict, send, words: str) -> None:
    """Answer 413 and close the connection (the rest of the body is never read)."""
    message = f"Request body too large: {words}."
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"code": "too_large", "message": message}}).encode()
        content_type = b"application/json"
    else:
        body = message.encode() + b"\n"
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Wrap an ASGI app: HTTP bodies over their limit get 413 before the app reads them."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, words = body_limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _refuse(scope, send, words)

        received = 0
        over = False
        started = False

        async def counted_receive() -> dict:
            # Past the limit the app is told the client left, so it stops reading and
            # answers nothing; the 413 is sent below.
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if over and not started:
            await _refuse(scope, send, words)
