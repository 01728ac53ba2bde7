"""Re-deriving stored clips' analysis copies from their originals (manage.py rederive_clips)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from generator.engine import audio
from musicweb.library import derive
from musicweb.library.models import Clip, clip_folder
from tests.library.helpers import upload_path

pytestmark = pytest.mark.django_db

OLD_RATE = 22_050


def bright_stereo(path: Path, seconds: float = 2.0, seed: int = 0) -> Path:
    """A 44.1 kHz stereo file with different content left and right, and energy up to 20 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 44_100)) / 44_100
    hiss = rng.standard_normal(t.size) * 0.05
    left = 0.3 * np.sin(2 * np.pi * 330 * t) + hiss
    right = 0.3 * np.sin(2 * np.pi * 495 * t) + 0.2 * np.sin(2 * np.pi * 14_000 * t)
    sf.write(path, np.stack([left, right], axis=1).astype(np.float32), 44_100)
    return path


def old_clip(owner, source: Path, title: str = "old") -> Clip:
    """A clip as the first release stored it: a mono 22,050 Hz analysis copy, version 1."""
    decoded = audio.decode(source)
    mono = audio.to_mono(decoded.samples)
    mono = audio.loudness_normalise(audio.resample(mono, decoded.sample_rate, OLD_RATE))
    png = audio.spectrogram_png(audio.log_mel(mono, audio.FIRST_RELEASE).numpy())
    clip = Clip(
        owner=owner,
        title=title,
        original_name=source.name,
        format=decoded.format,
        subtype=decoded.subtype,
        duration=round(decoded.duration, 3),
        sample_rate=decoded.sample_rate,
        channels=decoded.channels,
        peaks=audio.waveform_peaks(mono),
        analysis_version=1,
    )
    folder = clip_folder(clip)
    clip.original = default_storage.save(f"{folder}/original.wav", ContentFile(source.read_bytes()))
    old_flac = audio.encode(mono, "flac", OLD_RATE)
    clip.analysis = default_storage.save(f"{folder}/analysis.flac", ContentFile(old_flac))
    clip.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(png))
    clip.stored_bytes = sum(f.size for f in clip.files())
    clip.save()
    return clip


def folder_files(clip: Clip) -> set[str]:
    return set(default_storage.listdir(clip_folder(clip))[1])


def sha(field_file) -> str:
    with field_file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def rederive_clips(capture, *args: str) -> None:
    """Run the command, letting the file removals queued for after commit run too."""
    with capture(execute=True):
        call_command("rederive_clips", *args)


@pytest.fixture
def source(tmp_path) -> Path:
    return bright_stereo(tmp_path / "stereo.wav")


def test_it_rederives_old_clips_at_full_band_keeping_stereo_and_owners(
    alice, bob, source, django_capture_on_commit_callbacks
):
    mine, theirs = old_clip(alice, source, "mine"), old_clip(bob, source, "theirs")
    original = sha(mine.original)
    old_names = {mine.analysis.name, mine.spectrogram.name}
    rederive_clips(django_capture_on_commit_callbacks)
    for clip, owner in ((mine, alice), (theirs, bob)):
        clip.refresh_from_db()
        assert clip.owner == owner and clip.analysis_version == derive.ANALYSIS_VERSION
        assert clip.analysis.name.startswith(clip_folder(clip) + "/analysis-")
        samples, rate = sf.read(clip.analysis.open("rb"), always_2d=True)
        assert rate == 44_100 and samples.shape[1] == 2
        assert np.abs(samples[:, 0] - samples[:, 1]).mean() > 0.01  # left and right differ
        spectrum = np.abs(np.fft.rfft(samples[:, 1])) ** 2
        freqs = np.fft.rfftfreq(len(samples), 1 / rate)
        assert spectrum[freqs > 11_025].sum() > 0.01 * spectrum[freqs > 5_000].sum()
        assert clip.spectrogram.open("rb").read(8) == b"\x89PNG\r\n\x1a\n"
        assert clip.stored_bytes == sum(f.size for f in clip.files())
        assert folder_files(clip) == {Path(f.name).name for f in clip.files()}
    assert sha(mine.original) == original  # the original is never touched
    assert not any(default_storage.exists(name) for name in old_names)


def test_it_is_safe_to_run_twice(alice, source, django_capture_on_commit_callbacks, capsys):
    clip = old_clip(alice, source)
    rederive_clips(django_capture_on_commit_callbacks)
    clip.refresh_from_db()
    first = (clip.analysis.name, sha(clip.analysis), clip.peaks, clip.stored_bytes)
    rederive_clips(django_capture_on_commit_callbacks)
    assert "Re-derived 0 clip(s); 1 of 1" in capsys.readouterr().out
    clip.refresh_from_db()
    assert (clip.analysis.name, sha(clip.analysis), clip.peaks, clip.stored_bytes) == first
    # Forced, it derives again and gives the same audio under a new name.
    rederive_clips(django_capture_on_commit_callbacks, "--force")
    clip.refresh_from_db()
    assert clip.analysis.name != first[0] and sha(clip.analysis) == first[1]
    assert folder_files(clip) == {Path(f.name).name for f in clip.files()}


def test_it_resumes_after_an_interruption(
    alice, bob, source, monkeypatch, django_capture_on_commit_callbacks
):
    clips = [old_clip(owner, source, str(i)) for i, owner in enumerate((alice, bob, alice))]
    before = {c.pk: (c.analysis.name, sha(c.analysis)) for c in clips}
    real, calls = derive.derive, []

    def interrupted(decoded):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the second clip
        return real(decoded)

    monkeypatch.setattr(derive, "derive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rederive_clips(django_capture_on_commit_callbacks)
    for clip in clips:
        clip.refresh_from_db()
    assert [c.analysis_version for c in clips] == [2, 1, 1]
    for clip in clips[1:]:  # untouched, nothing half-written beside them
        assert (clip.analysis.name, sha(clip.analysis)) == before[clip.pk]
        assert folder_files(clip) == {Path(f.name).name for f in clip.files()}
    done_first = clips[0].analysis.name

    monkeypatch.setattr(derive, "derive", real)
    rederive_clips(django_capture_on_commit_callbacks)
    for clip in clips:
        clip.refresh_from_db()
        assert clip.analysis_version == 2
    assert clips[0].analysis.name == done_first  # not done again


def test_it_cleans_up_after_a_killed_run(alice, source, django_capture_on_commit_callbacks):
    clip = old_clip(alice, source)
    folder = clip_folder(clip)
    # What a run killed (not interrupted) leaves: new files not yet pointed at.
    for name in ("analysis-0badc0de.flac", "spectrogram-0badc0de.png"):
        default_storage.save(f"{folder}/{name}", ContentFile(b"half"))
    rederive_clips(django_capture_on_commit_callbacks)
    clip.refresh_from_db()
    assert clip.analysis_version == 2
    assert folder_files(clip) == {Path(f.name).name for f in clip.files()}
    # Killed after the switch but before the old files went: they go on the next pass.
    stale = default_storage.save(f"{folder}/analysis.flac", ContentFile(b"old"))
    assert derive.remove_leftovers(clip) == [stale]
    assert folder_files(clip) == {Path(f.name).name for f in clip.files()}


def test_it_reports_and_skips_clips_whose_original_is_missing_or_corrupt(
    alice, bob, source, django_capture_on_commit_callbacks, capsys
):
    missing = old_clip(alice, source, "missing")
    corrupt = old_clip(bob, source, "corrupt")
    fine = old_clip(alice, source, "fine")
    default_storage.delete(missing.original.name)
    with open(corrupt.original.path, "wb") as handle:
        handle.write(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 10)
    kept = {c.pk: (c.analysis.name, sha(c.analysis)) for c in (missing, corrupt)}
    with pytest.raises(CommandError, match="2 clip"):
        rederive_clips(django_capture_on_commit_callbacks)
    err = capsys.readouterr().err
    assert f"clip {missing.uid}" in err and "missing" in err
    assert f"clip {corrupt.uid}" in err and "cannot be decoded" in err
    for clip in (missing, corrupt):
        clip.refresh_from_db()
        assert clip.analysis_version == 1
        assert (clip.analysis.name, sha(clip.analysis)) == kept[clip.pk]  # still usable
    fine.refresh_from_db()
    assert fine.analysis_version == 2


def test_it_leaves_nothing_for_a_clip_deleted_while_it_worked(alice, source, monkeypatch):
    clip = old_clip(alice, source)
    real = derive.derive

    def owner_deletes_it_meanwhile(decoded):
        Clip.objects.filter(pk=clip.pk).delete()
        return real(decoded)

    monkeypatch.setattr(derive, "derive", owner_deletes_it_meanwhile)
    assert derive.rederive(clip) is False
    assert not Clip.objects.filter(pk=clip.pk).exists()
    assert not [name for name in folder_files(clip) if "-" in name]  # its new files are gone


def test_it_stores_new_stereo_uploads_at_full_band(client, alice, source):
    client.force_login(alice)
    assert upload_path(client, source).status_code == 201
    clip = Clip.objects.get()
    assert clip.analysis_version == derive.ANALYSIS_VERSION
    samples, rate = sf.read(clip.analysis.open("rb"), always_2d=True)
    assert rate == 44_100 and samples.shape[1] == 2


def test_it_still_reads_an_old_analysis_copy_at_the_new_rate(alice, source):
    clip = old_clip(alice, source)
    with clip.analysis.open("rb") as handle:
        samples = audio.load(handle, stereo=True)
    assert samples.ndim == 1  # the first release kept no stereo
    assert len(samples) == pytest.approx(clip.duration * audio.SAMPLE_RATE, rel=0.01)


def test_it_leaves_old_tracks_playing(client, alice, source, django_capture_on_commit_callbacks):
    from tests.factories import make_track

    track = make_track(alice)  # a first-release track: 22,050 Hz mono WAV
    before = sha(track.audio)
    old_clip(alice, source)
    rederive_clips(django_capture_on_commit_callbacks)
    track.refresh_from_db()
    assert sha(track.audio) == before
    response = client.get(f"/tracks/{track.uid}/audio.wav")
    assert response.status_code == 200
    played, rate = sf.read(io.BytesIO(b"".join(response.streaming_content)))
    assert rate == OLD_RATE and len(played) == pytest.approx(0.5 * OLD_RATE, abs=1)
