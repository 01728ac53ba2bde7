"""The ASGI entry point: request bodies are bounded before they are read; unknown sockets close.

These drive musicweb.asgi.application itself, message by message, so they see
what a server sees: whether the site answers before the body has arrived, and
when it stops asking for more.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from musicweb.asgi import application

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
MB = 1024 * 1024


def _scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def _request(
    path: str,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    last: bool = True,
    method: str = "POST",
) -> dict:
    """Send the chunks (the last one ends the body unless last=False); return the response.

    The response must start within a few seconds of the last chunk sent: a site that
    waits for more of a body it will refuse anyway fails here with a timeout.
    """

    async def go():
        communicator = ApplicationCommunicator(application, _scope(path, headers, method))
        for index, chunk in enumerate(chunks):
            more = not (last and index == len(chunks) - 1)
            await communicator.send_input(
                {"type": "http.request", "body": chunk, "more_body": more}
            )
        start = await communicator.receive_output(timeout=10)
        body = b""
        while start["type"] == "http.response.start":
            message = await communicator.receive_output(timeout=10)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        return {"status": start["status"], "headers": dict(start["headers"]), "body": body}

    return async_to_sync(go)()


def test_it_refuses_a_declared_body_over_the_limit_before_reading_it():
    response = _request("/healthz", [(b"content-length", str(300 * MB).encode())], [], last=False)
    assert response["status"] == 413
    assert response["headers"][b"connection"] == b"close"
    assert b"2 MB" in response["body"]


def test_it_stops_a_chunked_body_once_it_passes_the_limit():
    # No Content-Length: three 1 MB chunks and more announced; the third passes 2 MB.
    response = _request("/healthz", [], [b"x" * MB] * 3, last=False)
    assert response["status"] == 413


def test_it_answers_the_api_error_shape_for_a_json_body_over_2_mb(alice):
    token = Token.objects.create(user=alice)
    body = json.dumps({"mode": "variation", "clip": "x" * (2 * MB + 10)}).encode()
    headers = [
        (b"authorization", f"Token {token.key}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    response = _request("/api/jobs/", headers, [body])
    assert response["status"] == 413
    error = json.loads(response["body"])["error"]
    assert error["code"] == "too_large" and "2 MB" in error["message"]


def test_it_counts_a_chunked_api_body_too():
    headers = [(b"content-type", b"application/json")]
    response = _request("/api/clips/", headers, [b" " * MB] * 3, last=False)
    assert response["status"] == 413
    assert json.loads(response["body"])["error"]["code"] == "too_large"


def test_it_lets_an_upload_within_max_upload_mb_through(settings):
    settings.MAX_UPLOAD_MB = 3
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", str(int(3.5 * MB)).encode()),
    ]
    # Anonymous: the API reads the whole body, then says who may upload (not 413).
    response = _request("/api/clips/", headers, [b"-" * (MB // 2)] * 7)
    assert response["status"] == 401


def test_it_refuses_an_upload_over_max_upload_mb_from_its_length(settings):
    settings.MAX_UPLOAD_MB = 3
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", str(5 * MB).encode()),
    ]
    response = _request("/library/upload/", headers, [], last=False)
    assert response["status"] == 413
    assert b"3 MB" in response["body"]


def test_it_leaves_small_bodies_and_gets_alone():
    assert _request("/healthz", [], [b""], method="GET")["status"] == 200
    response = _request("/accounts/login/", [(b"content-length", b"0")], [b""])
    assert response["status"] == 403  # CSRF, as before: the body limit is not in the way


def _connect(path: str) -> tuple[bool, int | None]:
    async def go():
        communicator = WebsocketCommunicator(
            application,
            path,
            headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")],
        )
        connected, code = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(go)()


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/jobs/not-a-uuid/", "/elsewhere"])
def test_it_closes_a_socket_to_an_unknown_path_cleanly(path):
    assert _connect(path) == (False, 4404)
