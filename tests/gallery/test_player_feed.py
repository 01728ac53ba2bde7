"""What the player bar reads: stored peaks for tracks and clips (owner-only where private),
play buttons carrying them, and durations shown as m:ss."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from musicweb.gallery.templatetags.music import mmss
from tests.factories import make_clip, make_track, tone

pytestmark = pytest.mark.django_db


def test_it_serves_a_public_tracks_peaks_to_anyone(client, alice):
    track = make_track(alice)
    response = client.get(f"/tracks/{track.uid}/peaks.json")
    assert response.status_code == 200
    assert response.json() == [0.1, 0.5, 0.3]


def test_it_keeps_a_private_tracks_peaks_from_others(client, alice, bob):
    track = make_track(alice, published=False)
    client.force_login(bob)
    assert client.get(f"/tracks/{track.uid}/peaks.json").status_code == 404
    client.force_login(alice)
    assert client.get(f"/tracks/{track.uid}/peaks.json").status_code == 200


def test_it_serves_clip_peaks_to_the_owner_only(client, alice, bob, tmp_path):
    clip = make_clip(alice, samples=tone(3.0))
    assert client.get(f"/library/{clip.uid}/peaks.json").status_code == 302  # log in first
    client.force_login(bob)
    assert client.get(f"/library/{clip.uid}/peaks.json").status_code == 404
    client.force_login(alice)
    peaks = client.get(f"/library/{clip.uid}/peaks.json").json()
    assert len(peaks) == len(clip.peaks) > 100 and max(peaks) == 1.0


def test_it_puts_a_play_button_on_each_gallery_card(client, alice, charlie):
    track = make_track(alice, title="Night drive")
    type(track).objects.filter(pk=track.pk).update(duration=95.4)
    html = client.get("/gallery/").content.decode()
    assert f'data-src="/tracks/{track.uid}/audio.wav"' in html
    assert f'data-peaks="/tracks/{track.uid}/peaks.json"' in html
    assert f'data-count="/tracks/{track.uid}/play/"' in html
    assert 'aria-label="Play Night drive"' in html
    assert "1:35" in html and "95 s" not in html
    assert "<audio" not in html.split('id="page"')[1].split("data-playerbar")[0]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (5.9, "0:05"), (61.5, "1:01"), (600, "10:00"), (None, ""), ("x", ""), (-1, "")],
)
def test_it_formats_durations_as_minutes_and_seconds(seconds, shown):
    assert mmss(seconds) == shown
    assert Template("{% load music %}{{ s|mmss }}").render(Context({"s": seconds})) == shown
