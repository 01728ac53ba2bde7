"""The track page: player, recipe with "try these settings", downloads, more like this."""

from __future__ import annotations

import pytest

from tests.factories import make_track

pytestmark = pytest.mark.django_db


def test_it_shows_the_player_recipe_and_downloads(client, track):
    html = client.get(track.get_absolute_url()).content.decode()
    assert "data-player" in html and "track-peaks" in html
    assert f"/tracks/{track.uid}/spectrogram.png" in html
    for fmt in ("wav", "flac", "ogg", "mp3"):
        assert f"/tracks/{track.uid}/audio.{fmt}?download=1" in html
    assert "Slow and warm." in html and "texture v1" in html
    assert "Log in</a> to try these settings" in html and "data-try" not in html


def test_it_offers_signed_in_users_these_settings(client, bob, track):
    client.force_login(bob)
    html = client.get(track.get_absolute_url()).content.decode()
    assert "/generate/?mode=variation&amp;seconds=0.5&amp;strength=0.5&amp;seed=7" in html
    form = client.get("/generate/?mode=variation&seconds=0.5&strength=0.5&seed=7").context["form"]
    assert form.initial["seed"] == "7" and form.initial["mode"] == "variation"


def test_it_downloads_for_visitors(client, track):
    response = client.get(f"/tracks/{track.uid}/audio.wav?download=1")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_it_suggests_tracks_sharing_tags_and_mode(alice, bob, track):
    close = make_track(bob, "Close", tags="piano, calm")
    make_track(bob, "Far", mode="dream", tags="noise")
    make_track(bob, "Same mode", tags="drums")
    make_track(bob, "Private twin", tags="piano, calm", published=False)
    assert [t.title for t in track.similar()] == ["Close", "Same mode"]
    assert close in track.similar()


def test_it_prefers_nearest_embeddings_when_both_have_one(alice, bob):
    me = make_track(alice, "Me", embedding=[1.0, 0.0, 0.0])
    make_track(bob, "Near", embedding=[0.9, 0.1, 0.0], tags="x")
    make_track(bob, "Far", embedding=[0.0, 0.0, 1.0], tags="x")
    make_track(bob, "No embedding", tags="x")
    assert [t.title for t in me.similar()] == ["Near", "Far"]


def test_it_keeps_the_page_of_a_private_track_from_others(client, bob, private_track):
    client.force_login(bob)
    assert client.get(private_track.get_absolute_url()).status_code == 404


def test_it_shows_the_source_clips_titles_to_the_owner_and_staff_only(client, alice, bob, charlie):
    recipe = {"mode": "style", "model": "texture v1", "seed": 3, "seconds": 1.0, "strength": 0.5}
    track = make_track(alice, "Blend", recipe={**recipe, "sources": ["Diary take 3", "Voicemail"]})
    for viewer in (None, bob):
        if viewer:
            client.force_login(viewer)
        html = client.get(track.get_absolute_url()).content.decode()
        assert "Diary take 3" not in html and "Voicemail" not in html
        assert "2 private clips" in html
        api = client.get(f"/api/tracks/{track.uid}/").json()["recipe"]
        assert api["sources"] == [] and api["private_sources"] == 2
        assert "Diary take 3" not in str(client.get("/api/tracks/").json())
    for viewer in (alice, charlie):
        client.force_login(viewer)
        assert "Diary take 3, Voicemail" in client.get(track.get_absolute_url()).content.decode()
        api = client.get(f"/api/tracks/{track.uid}/").json()["recipe"]
        assert api["sources"] == ["Diary take 3", "Voicemail"] and "private_sources" not in api
    track.refresh_from_db()
    assert track.recipe["sources"] == ["Diary take 3", "Voicemail"]  # kept for the owner
