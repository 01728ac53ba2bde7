"""Uploading clips: every format libsndfile decodes, converted on the way in."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from musicweb.library.models import Clip
from tests.conftest import real_recording, synth_tone
from tests.library.helpers import media_files, upload_bytes, upload_path

pytestmark = pytest.mark.django_db


def test_it_stores_a_real_recording_with_its_analysis(client, alice, settings):
    client.force_login(alice)
    path = real_recording("sorohanro_solo_trumpet.ogg")
    response = upload_path(client, path)
    assert response.status_code == 201, response.content
    clip = Clip.objects.get()
    assert clip.owner == alice
    assert clip.title == "sorohanro_solo_trumpet"
    assert clip.format == "OGG" and clip.subtype == "VORBIS"
    assert clip.duration == pytest.approx(5.3, abs=0.2)
    assert clip.sample_rate == 22050 and clip.channels == 1
    assert clip.original.read() == path.read_bytes()  # the original is untouched
    analysis, rate = sf.read(clip.analysis.open("rb"))
    assert rate == 44100 and analysis.ndim == 1  # full band; a mono upload stays mono
    assert len(analysis) == pytest.approx(clip.duration * 44100, rel=0.01)
    assert clip.analysis_version == 2
    assert clip.spectrogram.open("rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert 100 <= len(clip.peaks) <= 600 and max(clip.peaks) == 1.0
    assert clip.stored_bytes == sum(f.size for f in clip.files())
    assert response.json()["url"] == clip.get_absolute_url()
    assert len(media_files(settings)) == 3


@pytest.mark.parametrize(
    ("fmt", "subtype", "suffix"),
    [
        ("WAV", "PCM_16", "wav"),
        ("FLAC", "PCM_24", "flac"),
        ("OGG", "VORBIS", "ogg"),
        ("OGG", "OPUS", "opus"),
        ("MP3", "MPEG_LAYER_III", "mp3"),
    ],
)
def test_it_accepts_each_format(client, alice, tmp_path, fmt, subtype, suffix):
    client.force_login(alice)
    rate = 48000 if subtype == "OPUS" else 44100
    path = synth_tone(
        tmp_path / f"tone.{suffix}", seconds=1.5, sample_rate=rate, fmt=fmt, subtype=subtype
    )
    response = upload_path(client, path)
    assert response.status_code == 201, response.content
    clip = Clip.objects.get()
    assert clip.format == fmt
    assert clip.original.name.endswith(f".{suffix}")
    assert clip.duration == pytest.approx(1.5, abs=0.1)


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (96000, 2), (44100, 6)])
def test_it_converts_unusual_rates_and_channel_counts(client, alice, tmp_path, rate, channels):
    client.force_login(alice)
    path = synth_tone(tmp_path / "odd.wav", seconds=1.0, sample_rate=rate, channels=channels)
    assert upload_path(client, path).status_code == 201
    clip = Clip.objects.get()
    assert (clip.sample_rate, clip.channels) == (rate, channels)
    analysis, analysis_rate = sf.read(clip.analysis.open("rb"))
    assert analysis_rate == 44100
    # Stereo (and more channels, folded to two) keep an image; mono stays mono.
    assert analysis.shape[1:] == (() if channels == 1 else (2,))
    assert len(analysis) == pytest.approx(44100, rel=0.01)
    assert np.sqrt(np.mean(analysis**2)) > 0.01


def test_it_judges_content_not_the_file_name(client, alice, tmp_path):
    client.force_login(alice)
    path = synth_tone(tmp_path / "x.flac", fmt="FLAC")
    assert upload_path(client, path, name="actually-flac.mp3").status_code == 201
    assert Clip.objects.get().format == "FLAC"


def test_it_uploads_several_files_in_one_form_post(client, alice, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    files = [
        SimpleUploadedFile("a.wav", synth_tone(tmp_path / "a.wav").read_bytes()),
        SimpleUploadedFile("b.wav", synth_tone(tmp_path / "b.wav", freq=330).read_bytes()),
        SimpleUploadedFile("c.wav", b"not audio at all"),
    ]
    response = client.post("/library/upload/", {"files": files}, follow=True)
    assert response.status_code == 200
    assert sorted(Clip.objects.values_list("title", flat=True)) == ["a", "b"]
    page = response.content.decode()
    assert "“c.wav” was not stored" in page
    assert "“a.wav” is in your library" in page


@pytest.mark.parametrize(
    "raw_name",
    [
        "../../etc/passwd.wav",
        "dir/sub\\evil.wav",
        "bell\x07\x1b[31m.wav",
        "日本語の歌.wav",
        "Ελληνικά ♪.wav",
    ],
)
def test_it_stores_odd_file_names_safely_and_shows_them(
    client, alice, tmp_path, settings, raw_name
):
    client.force_login(alice)
    path = synth_tone(tmp_path / "t.wav")
    assert upload_bytes(client, raw_name, path.read_bytes()).status_code == 201
    clip = Clip.objects.get()
    assert "/" not in clip.original_name and "\x07" not in clip.original_name
    assert ".." not in clip.original.name
    for stored in media_files(settings):
        assert stored.resolve().is_relative_to(settings.MEDIA_ROOT.resolve())
    page = client.get(clip.get_absolute_url()).content.decode()
    assert clip.original_name in page


def test_it_requires_a_login(client, tmp_path):
    path = synth_tone(tmp_path / "t.wav")
    response = upload_path(client, path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Clip.objects.exists()


def test_it_tags_a_real_recording_with_the_tagger(client, alice):
    from generator.registry import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "tagger" / "config.json").exists():
        pytest.skip("no tagger is installed")
    client.force_login(alice)
    assert upload_path(client, real_recording("brahms_hungarian_dance_5.ogg")).status_code == 201
    assert Clip.objects.get().tag_list  # the orchestral recording gets at least one label
