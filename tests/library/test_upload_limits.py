"""Uploads past the decoder's limits (decompression bombs, too short to analyse): a clear
400, and nothing stored.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from musicweb.library.models import Clip
from tests.library.helpers import (
    flac_bomb,
    media_files,
    upload_bytes,
    upload_path,
    vorbis_bomb,
    write_silence,
)

pytestmark = pytest.mark.django_db


def _refused(response, settings, fragment: str) -> None:
    assert response.status_code == 400, response.content
    assert fragment in response.json()["error"], response.json()["error"]
    assert not Clip.objects.exists()
    assert media_files(settings) == []


@pytest.mark.slow
def test_it_refuses_a_flac_bomb(client, alice, settings, tmp_path_factory):
    client.force_login(alice)
    _refused(
        upload_path(client, flac_bomb(tmp_path_factory)),
        settings,
        "sample rate is 655,350 Hz; rates from 8,000 to 192,000 Hz are accepted",
    )


def test_it_refuses_a_64_channel_vorbis(client, alice, settings, tmp_path):
    client.force_login(alice)
    response = upload_path(client, vorbis_bomb(tmp_path))
    _refused(response, settings, "The audio has 64 channels; at most 8 are accepted.")


@pytest.mark.parametrize(
    ("rate", "channels", "fragment"),
    [(4_000, 1, "4,000 Hz"), (400_000, 2, "400,000 Hz"), (48_000, 12, "12 channels")],
)
def test_it_refuses_layouts_past_the_limits(
    client, alice, settings, tmp_path, rate, channels, fragment
):
    client.force_login(alice)
    path = write_silence(tmp_path / "odd.wav", rate, channels, 0.2, format="WAV")
    _refused(upload_path(client, path), settings, fragment)


@pytest.mark.parametrize(("frames", "rate"), [(1, 22_050), (512, 22_050), (1_024, 44_100)])
def test_it_refuses_audio_too_short_to_analyse(client, alice, settings, frames, rate):
    client.force_login(alice)
    buffer = io.BytesIO()
    sf.write(buffer, np.full(frames, 0.3, dtype=np.float32), rate, format="WAV")
    response = upload_bytes(client, "blip.wav", buffer.getvalue())
    _refused(response, settings, "too short")
    assert "at least 24 ms is needed" in response.json()["error"]


def test_it_accepts_the_shortest_analysable_upload(client, alice, settings):
    client.force_login(alice)
    buffer = io.BytesIO()
    sf.write(buffer, np.full(513, 0.3, dtype=np.float32), 22_050, format="WAV")
    assert upload_bytes(client, "blip.wav", buffer.getvalue()).status_code == 201
    assert Clip.objects.get().duration == pytest.approx(513 / 22_050, abs=1e-3)
