"""Profile pages: published tracks and rating stats; one's own private tracks for oneself."""

from __future__ import annotations

import pytest

from tests.factories import make_track

pytestmark = pytest.mark.django_db


def test_it_shows_published_tracks_and_stats(client, alice, bob, charlie, track, private_track):
    track.rate(bob, 4)
    track.rate(charlie, 5)
    track.count_play("s:1")
    make_track(bob, "Bob's").rate(alice, 3)
    response = client.get("/users/alice/")
    assert response.status_code == 200
    assert [t.title for t in response.context["page"].object_list] == ["Night drive"]
    stats = response.context["stats"]
    assert stats == {
        "tracks": 1,
        "plays": 1,
        "ratings_received": 2,
        "average_rating": 4.5,
        "ratings_given": 1,
    }
    assert "4.50 of 5" in response.content.decode()


def test_it_shows_the_owner_their_private_tracks(client, alice, bob, track, private_track):
    client.force_login(alice)
    titles = [t.title for t in client.get("/users/alice/").context["page"].object_list]
    assert set(titles) == {"Night drive", "Sketch"}
    client.force_login(bob)
    assert [t.title for t in client.get("/users/alice/").context["page"].object_list] == [
        "Night drive"
    ]


def test_it_is_404_for_unknown_or_inactive_users(client, bob):
    assert client.get("/users/nobody/").status_code == 404
    bob.is_active = False
    bob.save()
    assert client.get("/users/bob/").status_code == 404
