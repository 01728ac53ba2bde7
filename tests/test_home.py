"""The home page plays: published tracks to hear in one click, the modes in a musician's
words, and for a signed-in user their latest takes and clips (never anyone else's)."""

from __future__ import annotations

import pytest

from generator.engine.catalog import MODE_INFO
from musicweb.views import MUSICIAN_WORDS
from tests.factories import make_clip, make_track, tone

pytestmark = pytest.mark.django_db


def test_it_offers_published_tracks_to_play(client, alice):
    public = make_track(alice, "Night drive")
    make_track(alice, "Sketch", published=False)
    make_track(alice, "Flagged", hidden=True)
    html = client.get("/").content.decode()
    assert f'data-src="/tracks/{public.uid}/audio.wav"' in html
    assert "Play Night drive" in html and "Sketch" not in html and "Flagged" not in html


def test_it_explains_every_mode_in_a_musicians_words(client):
    html = client.get("/").content.decode()
    assert set(MUSICIAN_WORDS) == set(MODE_INFO)
    for name, words in MUSICIAN_WORDS.items():
        assert MODE_INFO[name].label in html
        assert words.replace("'", "&#x27;") in html
    assert "up to 5:00" in html and "No clip needed" in html


def test_it_shows_a_user_their_latest_takes_and_clips(client, alice, bob, tmp_path):
    make_track(alice, "Alice private take", published=False)
    make_clip(alice, "alice-riff", samples=tone(3.0))
    make_track(bob, "Bob private take", published=False)
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert "Your latest takes" in html and "Play Alice private take" in html
    assert "Play alice-riff" in html
    assert "Bob private take" not in html
    client.logout()
    assert "Your latest takes" not in client.get("/").content.decode()
