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
from tests.sockets import answer_to_frame

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


def _watch_change(user, track, change):
    """Connect as user, make change, and return (what arrived after it, the close code or None)."""

    async def go():
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/tracks/{track.uid}/"
        )
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        await communicator.receive_json_from()
        await database_sync_to_async(change)()
        received, code = [], None
        while not await communicator.receive_nothing(timeout=0.5):
            output = await communicator.receive_output()
            if output["type"] == "websocket.close":
                code = output.get("code")
                break
            received.append(output)
        await communicator.disconnect()
        return received, code

    return async_to_sync(go)()


def _unpublish_and_play(track):
    track.unpublish()
    track.count_play("listener-after")


@pytest.mark.parametrize("watcher", ["visitor", "bob"])
def test_it_disconnects_others_when_the_track_is_unpublished(alice, bob, watcher):
    track = make_track(alice, "Soon private")
    user = AnonymousUser() if watcher == "visitor" else bob
    received, code = _watch_change(user, track, lambda: _unpublish_and_play(track))
    assert code == 4403 and received == []


def test_it_keeps_the_owners_socket_when_the_track_is_unpublished(alice):
    track = make_track(alice, "Mine")
    received, code = _watch_change(alice, track, lambda: _unpublish_and_play(track))
    assert code is None
    assert [message["text"] for message in received] == [
        '{"average": null, "count": 0, "plays": 1}'
    ]


def test_it_disconnects_visitors_when_a_moderator_hides_or_deletes_the_track(alice, charlie):
    from django.test import Client

    hidden = make_track(alice, "Reported")

    def moderate():
        staff = Client()
        staff.force_login(charlie)
        data = {"action": "hide", "_selected_action": [hidden.pk]}
        assert staff.post("/admin/gallery/track/", data).status_code == 302

    assert _watch_change(AnonymousUser(), hidden, moderate) == ([], 4403)
    gone = make_track(alice, "Deleted")
    assert _watch_change(AnonymousUser(), gone, gone.delete) == ([], 4403)


def test_it_forwards_nothing_once_the_track_is_private_even_if_the_notice_is_lost(alice):
    from musicweb.gallery.models import Track

    track = make_track(alice, "Quietly private")

    def change_without_signals():
        Track.objects.filter(pk=track.pk).update(published=False)  # no save, so no notice
        track.count_play("listener-2")

    assert _watch_change(AnonymousUser(), track, change_without_signals) == ([], 4403)


@pytest.mark.parametrize(
    "frame", [{"text_data": "[1, 2]"}, {"text_data": "not json"}, {"bytes_data": b"\x00\x01"}]
)
def test_it_answers_a_frame_that_is_not_a_json_object_clearly(alice, frame):
    track = make_track(alice, "Listened to")

    async def go():
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/tracks/{track.uid}/"
        )
        communicator.scope["user"] = AnonymousUser()
        await communicator.connect()
        await communicator.receive_json_from()
        return await answer_to_frame(communicator, frame)

    answer, closed = async_to_sync(go)()
    assert answer["error"]["code"] == "bad_request"
    assert closed == {"type": "websocket.close", "code": 4400}
