"""The job sockets through the whole ASGI stack: origin check, session cookie, owner or staff."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from musicweb.asgi import application
from tests.factories import make_clip, make_job
from tests.sockets import answer_to_frame

pytestmark = [pytest.mark.django_db(transaction=True, databases="__all__")]
GOOD_ORIGIN = b"http://127.0.0.1:8000"


@pytest.fixture
def job(alice):
    return make_job(alice, make_clip(alice))


def _cookie(user) -> bytes:
    if user is None:
        return b""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _connect(path: str, cookie: bytes = b"", origin: bytes | None = GOOD_ORIGIN, greets=True):
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie)]
    if origin is not None:
        headers.append((b"origin", origin))

    async def go():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect()
        first = await communicator.receive_json_from() if connected and greets else None
        await communicator.disconnect()
        return connected, code, first

    return async_to_sync(go)()


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("anonymous", False), ("bob", False), ("alice", True), ("charlie", True)],
)
def test_it_lets_only_the_owner_and_staff_watch_a_job(request, job, actor, allowed):
    user = None if actor == "anonymous" else request.getfixturevalue(actor)
    connected, code, first = _connect(f"/ws/jobs/{job.uid}/", _cookie(user))
    assert connected is allowed, code
    if allowed:
        assert first["id"] == str(job.uid)
    else:
        assert code == 4403


@pytest.mark.parametrize("actor", ["anonymous", "bob"])
def test_it_streams_ones_job_list_only_to_its_owner(request, alice, actor):
    user = None if actor == "anonymous" else request.getfixturevalue(actor)
    connected, _, _ = _connect("/ws/jobs/", _cookie(user), greets=False)
    assert connected is (actor == "bob")  # Bob gets his own (empty) stream, never Alice's


def test_it_refuses_training_sockets_to_non_staff(alice):
    connected, code, _ = _connect(
        "/ws/training/00000000-0000-0000-0000-000000000000/", _cookie(alice)
    )
    assert not connected and code == 4403


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"https://127.0.0.1.evil.example", b"null", b"http://localhost.evil"],
)
def test_it_refuses_sockets_from_other_origins(alice, job, origin):
    connected, _, _ = _connect(f"/ws/jobs/{job.uid}/", _cookie(alice), origin=origin)
    assert not connected


def test_it_refuses_a_socket_without_an_origin(alice, job):
    """Browsers always send Origin on WebSockets; a missing one is refused by Channels."""
    connected, _, _ = _connect(f"/ws/jobs/{job.uid}/", _cookie(alice), origin=None)
    assert not connected


def test_it_accepts_the_sites_own_origin(alice, job):
    assert _connect(f"/ws/jobs/{job.uid}/", _cookie(alice), origin=b"http://localhost:8000")[0]


@pytest.mark.parametrize("path", ["/ws/jobs/{job}/", "/ws/jobs/"])
@pytest.mark.parametrize(
    "frame",
    [{"text_data": '"refresh"'}, {"text_data": "{oops"}, {"text_data": "42"}, {"bytes_data": b"x"}],
)
def test_it_answers_a_frame_that_is_not_a_json_object_with_4400(alice, job, path, frame):
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", _cookie(alice)), (b"origin", GOOD_ORIGIN)]

    async def go():
        communicator = WebsocketCommunicator(application, path.format(job=job.uid), headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        if "{job}" in path:
            await communicator.receive_json_from()  # the job's state on connect
        return await answer_to_frame(communicator, frame)

    answer, closed = async_to_sync(go)()
    assert answer["error"]["message"].startswith("Send a JSON object")
    assert closed == {"type": "websocket.close", "code": 4400}


def test_it_still_answers_a_refresh_request(alice, job):
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", _cookie(alice)), (b"origin", GOOD_ORIGIN)]

    async def go():
        communicator = WebsocketCommunicator(application, f"/ws/jobs/{job.uid}/", headers=headers)
        await communicator.connect()
        first = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "refresh"})
        again = await communicator.receive_json_from()
        await communicator.disconnect()
        return first, again

    first, again = async_to_sync(go)()
    assert first == again and again["id"] == str(job.uid)


@pytest.mark.scaleout
def test_it_opens_a_socket_whose_session_cookie_holds_a_nul_as_a_visitor(alice):
    """PostgreSQL refuses NUL in text: the session lookup must never see such a key."""
    from tests.factories import make_track

    track = make_track(alice, "Public")
    connected, code, first = _connect(
        f"/ws/tracks/{track.uid}/", b'sessionid="\\000abcdefghijkl"; other=1'
    )
    assert connected, code
    assert first == {"average": None, "count": 0, "plays": 0}
    assert _connect("/ws/jobs/", b'sessionid="\\000abcdefghijkl"', greets=False)[1] == 4403
