"""Hostile uploads: random bytes, truncated and header-corrupted real files, lying headers.

The decoder may only ever raise AudioError subclasses; the upload view answers 201 or 400,
never 500, and a refused upload leaves no row and no file behind. A worker given a clip
whose analysis copy is corrupt fails the job with a reason instead of crashing.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from generator import runner
from generator.engine import audio
from generator.models import GenerationJob
from musicweb.library.models import Clip
from tests.conftest import synth_tone
from tests.factories import TEST_AUDIO, make_clip, make_job, tone
from tests.library.helpers import media_files, upload_bytes

FUZZ = hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
REAL = sorted(TEST_AUDIO.glob("*.ogg"))


def _tiny_real_files() -> list[bytes]:
    """Small real encodings of every container the site accepts (plus the real OGG loops)."""
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 22_050).astype(np.float32)
    files = []
    for fmt in ("WAV", "FLAC", "OGG", "MP3"):
        buffer = io.BytesIO()
        sf.write(buffer, tone, 22_050, format=fmt)
        files.append(buffer.getvalue())
    return files + [path.read_bytes()[:60_000] for path in REAL[:2]]


SEEDS = _tiny_real_files()
truncated = st.builds(
    lambda data, fraction: data[: int(len(data) * fraction)],
    st.sampled_from(SEEDS),
    st.floats(0.0, 0.99),
)


@st.composite
def header_corrupted(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, min(len(data), 96) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


hostile = st.one_of(st.binary(max_size=4096), truncated, header_corrupted())


def _decode_or_audio_error(data: bytes) -> None:
    try:
        decoded = audio.decode(io.BytesIO(data), max_seconds=60)
    except audio.AudioError:
        return
    assert decoded.samples.ndim == 1 and decoded.samples.size > audio.N_FFT // 2
    assert decoded.frames > 0 and 1 <= decoded.channels <= audio.MAX_CHANNELS
    assert np.all(np.isfinite(decoded.samples))


@FUZZ
@given(data=hostile)
def test_it_raises_only_audio_errors_while_decoding(data):
    _decode_or_audio_error(data)


@pytest.mark.django_db
@FUZZ
@given(data=hostile, name=st.sampled_from(["clip.wav", "clip.ogg", "x.mp3", "../../etc/passwd"]))
def test_it_answers_every_hostile_upload_without_a_server_error(
    client, alice, settings, data, name
):
    client.force_login(alice)
    before = Clip.objects.count()
    files_before = len(media_files(settings))
    response = upload_bytes(client, name, data)
    assert response.status_code in (201, 400), response.status_code
    if response.status_code == 400:
        assert response.json()["error"]
        assert Clip.objects.count() == before
        assert len(media_files(settings)) == files_before
    else:  # whatever was stored stays inside the owner's folder
        clip = Clip.objects.latest("id")
        assert all(Path(f.path).is_relative_to(Path(settings.MEDIA_ROOT)) for f in clip.files())


def _wav_with_declared_length(frames_declared: int, frames_present: int) -> bytes:
    """A PCM WAV header that claims frames_declared frames but carries frames_present."""
    data = (np.zeros(frames_present, dtype=np.int16) + 1000).tobytes()
    size = frames_declared * 2
    header = b"RIFF" + struct.pack("<I", min(36 + size, 0xFFFFFFFF)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 22_050, 44_100, 2, 16)
    header += b"data" + struct.pack("<I", min(size, 0xFFFFFFFF))
    return header + data


@pytest.mark.django_db
def test_it_reads_only_what_is_there_when_a_header_lies_about_its_length(client, alice):
    client.force_login(alice)
    liar = _wav_with_declared_length(frames_declared=2_000_000_000, frames_present=22_050)
    _decode_or_audio_error(liar)
    response = upload_bytes(client, "liar.wav", liar)
    assert response.status_code == 201, response.content  # libsndfile reads the real size
    assert Clip.objects.get().duration == pytest.approx(1.0, abs=0.05)


@pytest.mark.django_db
def test_it_refuses_audio_past_the_length_limit_and_stores_nothing(
    client, alice, settings, tmp_path
):
    settings.MAX_CLIP_SECONDS = 1
    client.force_login(alice)
    response = upload_bytes(client, "long.wav", synth_tone(tmp_path / "long.wav", 3).read_bytes())
    assert response.status_code == 400 and "longer than" in response.json()["error"]
    assert not Clip.objects.exists() and media_files(settings) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("memory_layer")
@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_it_fails_a_job_whose_clip_analysis_is_corrupt(alice, damage):
    clip = make_clip(alice, samples=tone(2))
    path = Path(clip.analysis.path)
    if damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    else:
        path.unlink()
    job = make_job(alice, clip, seconds=1)
    assert runner.run_job(job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert job.error and "Traceback" not in job.error
    # The worker carries on with the next job.
    fresh = make_clip(alice, "fresh", samples=tone(2))
    assert runner.run_job(make_job(alice, fresh, seconds=1).pk, worker="w1") == "done"
    assert GenerationJob.objects.filter(status="done").count() == 1
