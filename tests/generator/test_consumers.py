"""The job WebSockets: who may connect, what they receive, and origin checks."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from generator import runner
from generator.routing import websocket_urlpatterns
from musicweb.asgi import application
from tests.factories import make_clip, make_job

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.scaleout,
]


@pytest.fixture
def job(alice):
    return make_job(alice, make_clip(alice))


def _connect(user, path):
    async def go():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        first = await communicator.receive_json_from() if connected else None
        await communicator.disconnect()
        return connected, code, first

    return async_to_sync(go)()


async def _watching(user, job) -> WebsocketCommunicator:
    """A socket open on the job's page, its first state (the current one) already read."""
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/jobs/{job.uid}/")
    communicator.scope["user"] = user
    await communicator.connect()
    await communicator.receive_json_from()
    return communicator


def test_it_sends_the_current_state_to_the_owner(alice, job):
    connected, _, first = _connect(alice, f"/ws/jobs/{job.uid}/")
    assert connected
    assert (
        first["id"] == str(job.uid) and first["status"] == "queued" and first["queue_position"] == 1
    )


def test_it_lets_staff_watch(charlie, job):
    assert _connect(charlie, f"/ws/jobs/{job.uid}/")[0]


@pytest.mark.parametrize("who", ["bob", "anonymous"])
def test_it_refuses_anyone_else(bob, job, who):
    user = bob if who == "bob" else AnonymousUser()
    connected, code, _ = _connect(user, f"/ws/jobs/{job.uid}/")
    assert not connected and code == 4403


def test_it_refuses_unknown_jobs(alice):
    assert not _connect(alice, "/ws/jobs/00000000-0000-0000-0000-000000000000/")[0]


def test_it_forwards_progress_and_the_final_event(alice, job):
    async def go():
        communicator = await _watching(alice, job)
        from channels.db import database_sync_to_async

        status = await database_sync_to_async(runner.run_job)(job.pk, "w1")
        states = []
        while not await communicator.receive_nothing(timeout=0.2):
            states.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return status, states

    status, states = async_to_sync(go)()
    assert status == "done"
    progress = [s["progress"] for s in states]
    assert progress == sorted(progress) and len(set(progress)) >= 3
    assert states[-1]["status"] == "done" and "result" in states[-1]


def test_it_streams_all_of_my_jobs_on_the_list_socket(alice, bob, job):
    bobs = make_job(bob, make_clip(bob))

    async def go():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/jobs/")
        communicator.scope["user"] = alice
        assert (await communicator.connect())[0]
        from channels.db import database_sync_to_async

        await database_sync_to_async(runner.broadcast)(job)
        await database_sync_to_async(runner.broadcast)(bobs)
        got = [await communicator.receive_json_from()]
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return got

    assert [s["id"] for s in async_to_sync(go)()] == [str(job.uid)]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(b"http://evil.example", False), (b"http://127.0.0.1:8000", True), (None, False)],
)
def test_it_checks_the_origin(alice, job, origin, allowed):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def go():
        headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie)]
        headers += [(b"origin", origin)] if origin else []
        communicator = WebsocketCommunicator(application, f"/ws/jobs/{job.uid}/", headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert async_to_sync(go)() is allowed


def test_it_streams_training_to_staff_only(alice, charlie):
    from generator.models import TrainingJob

    training = TrainingJob.objects.create(
        owner=charlie, name="t", arch="tagger", steps=3, folder="models/t"
    )
    path = f"/ws/training/{training.uid}/"
    assert not _connect(alice, path)[0]
    connected, _, first = _connect(charlie, path)
    assert connected and first["status"] == "queued" and first["losses"] == []


def test_it_tells_watchers_when_a_job_is_cancelled(alice, job):
    async def go():
        communicator = await _watching(alice, job)
        from channels.db import database_sync_to_async

        assert await database_sync_to_async(job.cancel)()
        state = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return state

    state = async_to_sync(go)()
    assert state["status"] == "cancelled" and state["stage"] == "cancelled"


def test_it_keeps_a_quiet_socket_open_past_the_layers_read_timeout(alice, job):
    """A queued job may be silent for minutes: its watchers' sockets must outlast the silence."""

    async def go():
        communicator = await _watching(alice, job)
        from channels.db import database_sync_to_async

        # Longer than redis-py 8's default socket timeout (5 s), under which a blocking
        # read of the Redis layer would raise and end the consumer.
        assert await communicator.receive_nothing(timeout=6.5, interval=0.5)
        await database_sync_to_async(runner.broadcast)(job)
        state = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return state

    assert async_to_sync(go)()["id"] == str(job.uid)
