"""Bad uploads get a clear message and change nothing: no row, no file, no 500."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from generator.engine import audio
from musicweb.library.models import Clip
from tests.conftest import real_recording, synth_tone
from tests.library.helpers import media_files, upload_bytes, upload_path

pytestmark = pytest.mark.django_db


def _refused(response, settings, fragment: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["ok"] is False
    assert fragment.lower() in body["error"].lower(), body["error"]
    assert not Clip.objects.exists()
    assert media_files(settings) == []


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("empty.wav", b"", "empty"),
        (
            "notes.wav",
            b"Dear diary, this is plain text pretending to be audio.\n" * 20,
            "could not be read",
        ),
        ("picture.wav", _png_bytes(), "could not be read"),
        ("header.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "could not be read"),
    ],
)
def test_it_refuses_what_is_not_audio(client, alice, settings, name, data, fragment):
    client.force_login(alice)
    _refused(upload_bytes(client, name, data), settings, fragment)


def test_it_refuses_a_truncated_real_file(client, alice, settings):
    client.force_login(alice)
    data = real_recording("sorohanro_solo_trumpet.ogg").read_bytes()
    _refused(upload_bytes(client, "cut.ogg", data[:200]), settings, "")


def test_it_refuses_audio_of_zero_length(client, alice, settings):
    client.force_login(alice)
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((0, 1), dtype=np.float32), 22050, format="WAV")
    _refused(upload_bytes(client, "zero.wav", buffer.getvalue()), settings, "zero length")


def test_it_refuses_a_file_over_the_size_limit(client, alice, settings, tmp_path):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(alice)
    path = synth_tone(tmp_path / "big.wav", seconds=30)
    _refused(upload_path(client, path), settings, "the limit is 1 MB")


def test_it_refuses_audio_over_the_duration_limit(client, alice, settings, tmp_path):
    settings.MAX_CLIP_SECONDS = 2
    client.force_login(alice)
    path = synth_tone(tmp_path / "long.flac", seconds=3, fmt="FLAC")
    _refused(upload_path(client, path), settings, "longer than the limit of 2 seconds")


def test_it_takes_a_huge_declared_length_for_what_is_there_without_reading_it_all(
    client, alice, settings
):
    settings.MAX_CLIP_SECONDS = 5
    client.force_login(alice)
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((22050, 1), dtype=np.float32), 22050, format="WAV", subtype="PCM_16")
    data = bytearray(buffer.getvalue())
    data[40:44] = (0x7FFFFFF0).to_bytes(4, "little")  # the data chunk claims ~1 GB
    tracemalloc.start()
    try:
        decoded = audio.decode(io.BytesIO(bytes(data)), max_seconds=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About 0.25 MB, as for an honest one-second file; the claimed length is 4 GB as float32.
    assert peak < 2 * 1024 * 1024, peak
    assert decoded.duration == 1.0
    response = upload_bytes(client, "liar.wav", bytes(data))
    assert response.status_code == 201, response.content  # libsndfile trusts the real size
    assert Clip.objects.get().duration == pytest.approx(1.0, abs=0.01)


def test_it_refuses_uploads_past_the_quota(client, alice, settings, tmp_path):
    alice.quota_mb = 1
    alice.save()
    client.force_login(alice)
    small = synth_tone(tmp_path / "small.wav", seconds=5)  # about 220 kB with its analysis
    for _ in range(2):
        assert upload_path(client, small).status_code == 201
    files_before = media_files(settings)
    response = upload_path(client, synth_tone(tmp_path / "more.wav", seconds=12))
    assert response.status_code == 400
    assert "quota" in response.json()["error"]
    assert Clip.objects.count() == 2
    assert media_files(settings) == files_before


def test_it_explains_a_missing_file(client, alice):
    client.force_login(alice)
    response = client.post("/library/upload/", {}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "choose at least one" in response.json()["error"].lower()


def test_it_shows_the_limits_before_upload(client, alice, settings):
    settings.MAX_UPLOAD_MB = 7
    settings.MAX_CLIP_SECONDS = 90
    client.force_login(alice)
    page = client.get("/library/").content.decode()
    assert "up to 7 MB and 90 s each" in page
    assert "your quota is 500" in page
