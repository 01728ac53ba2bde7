"""A full disk while a job stores its track: the job fails with a reason and leaves no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import runner
from generator.models import GenerationJob
from musicweb.gallery.models import Track
from tests.factories import make_clip, make_job, tone
from tests.full_disk import full_disk
from tests.library.helpers import media_files

pytestmark = [pytest.mark.django_db(transaction=True, databases="__all__"), pytest.mark.scaleout]


def _track_files(settings) -> list[Path]:
    return [p for p in media_files(settings) if "/tracks/" in str(p)]


# Room for part of the WAV master; room for the master and part of the image.
@pytest.mark.parametrize("capacity", [20_000, 60_000])
def test_it_fails_the_job_with_a_reason_and_keeps_no_file(alice, tmp_path, settings, capacity):
    clip = make_clip(alice, samples=tone(2.0))
    job = make_job(alice, clip, seconds=1)  # a 1 s master is about 44 kB
    full_disk(settings, capacity)
    assert runner.run_job(job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert "storage is full" in job.error and "internal error" not in job.error
    assert not Track.objects.exists()
    assert _track_files(settings) == []


def test_it_stores_the_track_once_there_is_room(alice, tmp_path, settings):
    clip = make_clip(alice, samples=tone(2.0))
    job = make_job(alice, clip, seconds=1)
    full_disk(settings, 10_000_000)
    assert runner.run_job(job.pk, worker="w1") == "done"
    track = Track.objects.get()
    assert sorted(p.name for p in _track_files(settings)) == ["spectrogram.png", "track.wav"]
    assert track.audio.size > 40_000
