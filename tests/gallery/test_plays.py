"""Plays are counted once per listener per track per hour, whoever calls how often.

A listener is a user, a visitor's session, or (with neither) the address; and one address
gets at most MAX_PLAYS_PER_ADDRESS counted listeners of a track an hour.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from musicweb.gallery.models import Play

pytestmark = pytest.mark.django_db


def _play(client, track, **extra):
    return client.post(f"/tracks/{track.uid}/play/", **extra)


def test_it_counts_a_signed_in_listener_once_an_hour(client, bob, track):
    client.force_login(bob)
    assert _play(client, track).json() == {"counted": True, "play_count": 1}
    assert _play(client, track).json() == {"counted": False, "play_count": 1}
    later = timezone.now() + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _play(client, track).json() == {"counted": True, "play_count": 2}
    assert Play.objects.filter(listener=f"u:{bob.pk}").count() == 2


def test_it_counts_visitors_by_a_hash_of_their_session(client, client_factory, track):
    client.session.save()  # a visitor who has a session (the test client makes one on asking)
    assert _play(client, track).json()["counted"] is True
    assert _play(client, track).json()["counted"] is False
    other = client_factory()
    other.session.save()
    assert _play(other, track).json() == {"counted": True, "play_count": 2}
    listeners = list(Play.objects.values_list("listener", flat=True))
    assert all(key.startswith("s:") for key in listeners)
    assert client.session.session_key not in "".join(listeners)


def test_it_counts_cookieless_plays_from_one_address_once(client_factory, track):
    answers = [_play(client_factory(), track).json() for _ in range(40)]
    assert answers[0] == {"counted": True, "play_count": 1}
    assert all(answer == {"counted": False, "play_count": 1} for answer in answers[1:])
    assert Session.objects.count() == 0  # no session is made for a cookie-less visitor
    (listener,) = Play.objects.values_list("listener", flat=True)
    assert listener.startswith("a:") and "127.0.0.1" not in listener
    elsewhere = client_factory(REMOTE_ADDR="198.51.100.23")
    assert _play(elsewhere, track).json() == {"counted": True, "play_count": 2}


def test_it_treats_a_made_up_session_cookie_as_no_session(client_factory, track):
    for n in range(10):
        visitor = client_factory()
        visitor.cookies["sessionid"] = f"made-up-session-key-{n:04d}"
        _play(visitor, track)
    track.refresh_from_db()
    assert track.play_count == 1


def test_it_caps_the_listeners_counted_from_one_address(client_factory, bob, track, settings):
    settings.MAX_PLAYS_PER_ADDRESS = 3
    counted = []
    for _ in range(8):
        visitor = client_factory()
        visitor.session.save()  # a fresh session each time: a fresh listener, same address
        counted.append(_play(visitor, track).json()["counted"])
    assert counted == [True] * 3 + [False] * 5
    signed_in = client_factory()
    signed_in.force_login(bob)
    assert _play(signed_in, track).json() == {"counted": False, "play_count": 3}
    elsewhere = client_factory(REMOTE_ADDR="198.51.100.24")
    elsewhere.force_login(bob)
    assert _play(elsewhere, track).json() == {"counted": True, "play_count": 4}
    later = timezone.now() + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _play(signed_in, track).json()["counted"] is True


def test_it_caps_plays_through_the_api_too(bob, track, settings):
    settings.MAX_PLAYS_PER_ADDRESS = 2
    from rest_framework.test import APIClient

    answers = []
    for _ in range(5):
        api = APIClient()
        api.session.save()
        answers.append(api.post(f"/api/tracks/{track.uid}/play/").json()["counted"])
    assert answers == [True, True, False, False, False]


def test_it_keys_visitors_behind_a_trusted_proxy_by_their_own_address(
    client_factory, track, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = client_factory(REMOTE_ADDR="10.0.0.5")
    for n in range(5):  # one real visitor, writing a fresh address of their own each time
        _play(proxy, track, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.30")
    assert _play(proxy, track, HTTP_X_FORWARDED_FOR="198.51.100.31").json()["play_count"] == 2
    direct = client_factory(REMOTE_ADDR="198.51.100.32")
    for n in range(5):  # not through the proxy: the header is not believed
        _play(direct, track, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    track.refresh_from_db()
    assert track.play_count == 3


def test_it_counts_nothing_for_tracks_one_cannot_see(client, bob, private_track):
    client.force_login(bob)
    assert _play(client, private_track).status_code == 404
    assert client.get(f"/tracks/{private_track.uid}/play/").status_code == 405  # GET counts nothing
    private_track.refresh_from_db()
    assert private_track.play_count == 0


def test_it_lets_the_owner_play_a_private_track(client, alice, private_track):
    client.force_login(alice)
    assert _play(client, private_track).json()["play_count"] == 1


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
