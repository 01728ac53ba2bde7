"""Gallery cards show a small WebP of the spectrogram, not the full PNG: made once on first
request, private like its track, gone with it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from generator.engine import audio
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def _with_real_spectrogram(track):
    """Give the track the spectrogram the runner would draw for 20 s of noisy chords."""
    rate = 22_050
    t = np.arange(20 * rate) / rate
    rng = np.random.default_rng(7)
    chords = sum(np.sin(2 * np.pi * f * t * (1 + 0.01 * np.sin(t))) for f in (220, 277, 330, 440))
    samples = (0.1 * chords + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    png = audio.spectrogram_png(audio.log_mel(samples).numpy())
    default_storage.delete(track.spectrogram.name)
    default_storage.save(track.spectrogram.name, ContentFile(png))
    return len(png)


def test_it_serves_cards_a_small_webp(client, alice):
    track = make_track(alice, "Night drive")
    png_bytes = _with_real_spectrogram(track)
    response = client.get(f"/tracks/{track.uid}/thumbnail.webp")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert len(body) < 40_000 < png_bytes, (len(body), png_bytes)
    with Image.open(io.BytesIO(body)) as image:
        assert image.size[0] <= 600 and image.size[1] <= 200
    html = client.get("/gallery/").content.decode()
    assert f'src="/tracks/{track.uid}/thumbnail.webp"' in html


def test_it_keeps_a_private_tracks_thumbnail_private(client, alice, bob):
    track = make_track(alice, "Sketch", published=False)
    _with_real_spectrogram(track)
    client.force_login(bob)
    assert client.get(f"/tracks/{track.uid}/thumbnail.webp").status_code == 404
    client.force_login(alice)
    assert client.get(f"/tracks/{track.uid}/thumbnail.webp").status_code == 200


def test_it_removes_the_thumbnail_with_the_track(client, alice, django_capture_on_commit_callbacks):
    track = make_track(alice, "Night drive")
    _with_real_spectrogram(track)
    assert client.get(f"/tracks/{track.uid}/thumbnail.webp").status_code == 200
    name = track.thumbnail_name()
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        track.delete()
    assert not default_storage.exists(name)


def test_it_falls_back_to_the_png_it_cannot_read(client, alice):
    track = make_track(alice, "Night drive")
    default_storage.delete(track.spectrogram.name)
    default_storage.save(track.spectrogram.name, ContentFile(b"\x89PNG not really"))
    response = client.get(f"/tracks/{track.uid}/thumbnail.webp")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert not default_storage.exists(track.thumbnail_name())
