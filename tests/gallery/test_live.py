"""Live counts on track pages: who may listen, and what a rating or a play sends."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from musicweb.gallery.routing import websocket_urlpatterns
from tests.factories import make_track

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


def _watch(user, track, action=None):
    """Connect as user; run action (in a thread with the database); return what arrived."""

    async def go():
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/tracks/{track.uid}/"
        )
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        if not connected:
            return None
        received = [await communicator.receive_json_from()]
        if action:
            await database_sync_to_async(action)()
            while not await communicator.receive_nothing(timeout=0.3):
                received.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return received

    return async_to_sync(go)()


def test_it_pushes_a_new_rating_to_the_owners_open_page(alice, bob):
    track = make_track(alice, "Live one")
    received = _watch(alice, track, lambda: track.rate(bob, 4))
    assert received[0] == {"average": None, "count": 0, "plays": 0}
    assert received[-1] == {"average": 4.0, "count": 1, "plays": 0}


def test_it_pushes_a_counted_play_once(alice, bob):
    track = make_track(alice, "Played")

    def play_twice():
        track.count_play("listener-1")
        track.count_play("listener-1")  # the same hour: not counted, nothing sent

    received = _watch(AnonymousUser(), track, play_twice)
    assert [m["plays"] for m in received] == [0, 1]


def test_it_lets_visitors_watch_published_tracks_only(alice, bob, charlie):
    private = make_track(alice, "Private", published=False)
    assert _watch(AnonymousUser(), private) is None
    assert _watch(bob, private) is None
    assert _watch(alice, private) is not None
    assert _watch(charlie, private) is not None
