"""Publishing: only the owner publishes and unpublishes; private tracks are 404 to others."""

from __future__ import annotations

import pytest

from musicweb.gallery.models import Track

pytestmark = pytest.mark.django_db


def _publish(client, track, **fields):
    data = {"title": "Morning", "description": "Bright.", "tags": "Piano,  calm ,piano", **fields}
    return client.post(f"/tracks/{track.uid}/publish/", data)


def test_it_publishes_with_title_description_and_tags(client, alice, private_track):
    client.force_login(alice)
    response = _publish(client, private_track)
    assert response.status_code == 302 and response["Location"] == f"/tracks/{private_track.uid}/"
    private_track.refresh_from_db()
    assert private_track.published and private_track.published_at
    assert (private_track.title, private_track.description, private_track.tags) == (
        "Morning",
        "Bright.",
        "piano, calm",
    )
    client.logout()
    assert client.get(f"/tracks/{private_track.uid}/").status_code == 200
    assert "Morning" in client.get("/gallery/").content.decode()


def test_it_keeps_the_share_link_and_date_across_unpublish(client, alice, track):
    client.force_login(alice)
    first = track.published_at
    assert client.post(f"/tracks/{track.uid}/unpublish/").status_code == 302
    track.refresh_from_db()
    assert not track.published
    client.logout()
    assert client.get(f"/tracks/{track.uid}/").status_code == 404
    client.force_login(alice)
    _publish(client, track)
    track.refresh_from_db()
    assert track.published and track.published_at == first
    assert track.get_absolute_url() == f"/tracks/{track.uid}/"


def test_it_refuses_a_blank_title_and_changes_nothing(client, alice, private_track):
    client.force_login(alice)
    response = _publish(client, private_track, title="   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    private_track.refresh_from_db()
    assert not private_track.published and private_track.title == "Sketch"


def test_it_hides_private_tracks_from_others(client, bob, charlie, private_track):
    url = f"/tracks/{private_track.uid}/"
    for path in (url, url + "audio.wav", url + "spectrogram.png"):
        assert client.get(path).status_code == 404
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.get(url + "audio.wav?download=1").status_code == 404
    client.force_login(charlie)  # staff
    assert client.get(url).status_code == 200


def test_it_lets_only_the_owner_publish_or_unpublish(client, bob, charlie, track, private_track):
    client.force_login(bob)
    assert _publish(client, private_track).status_code == 404  # cannot even see it
    assert _publish(client, track, title="Bob's now").status_code == 403
    assert client.post(f"/tracks/{track.uid}/unpublish/").status_code == 403
    client.force_login(charlie)  # staff moderate through the admin, not by editing
    assert client.post(f"/tracks/{track.uid}/unpublish/").status_code == 403
    client.logout()
    response = client.post(f"/tracks/{track.uid}/unpublish/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    track.refresh_from_db()
    assert track.published and track.title == "Night drive"


def test_it_shows_the_owner_the_publish_form_only(client, alice, bob, track):
    client.force_login(alice)
    assert f"/tracks/{track.uid}/publish/" in client.get(track.get_absolute_url()).content.decode()
    client.force_login(bob)
    assert (
        f"/tracks/{track.uid}/publish/" not in client.get(track.get_absolute_url()).content.decode()
    )


def test_it_only_accepts_post_for_changes(client, alice, track):
    client.force_login(alice)
    assert client.get(f"/tracks/{track.uid}/publish/").status_code == 405
    assert Track.objects.get().published
