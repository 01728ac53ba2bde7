"""Plays are counted once per listener per track per hour, whoever calls how often."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from musicweb.gallery.models import Play

pytestmark = pytest.mark.django_db


def _play(client, track):
    return client.post(f"/tracks/{track.uid}/play/")


def test_it_counts_a_signed_in_listener_once_an_hour(client, bob, track):
    client.force_login(bob)
    assert _play(client, track).json() == {"counted": True, "play_count": 1}
    assert _play(client, track).json() == {"counted": False, "play_count": 1}
    later = timezone.now() + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _play(client, track).json() == {"counted": True, "play_count": 2}
    assert Play.objects.filter(listener=f"u:{bob.pk}").count() == 2


def test_it_counts_visitors_by_a_hash_of_their_session(client, client_factory, track):
    assert _play(client, track).json()["counted"] is True
    assert _play(client, track).json()["counted"] is False
    other = client_factory()
    assert _play(other, track).json() == {"counted": True, "play_count": 2}
    listeners = list(Play.objects.values_list("listener", flat=True))
    assert all(key.startswith("s:") for key in listeners)
    assert client.session.session_key not in "".join(listeners)


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
