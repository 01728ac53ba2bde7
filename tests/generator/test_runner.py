"""Running jobs in a worker: results, failures, cancellation, leases and progress events."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import numpy as np
import pytest
import soundfile as sf
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from generator import live, reaper, runner
from generator.models import GenerationJob
from generator.registry import WEIGHTS_DIR
from musicweb.gallery.models import Track
from tests.factories import make_clip, make_job
from tests.library.helpers import media_files

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.scaleout,
]


@pytest.fixture
def clip(alice):
    return make_clip(alice)


def _listen(group: str):
    """Subscribe a fresh channel to group; return a function that drains its messages."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)

    async def drain():
        import asyncio

        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
            except TimeoutError:
                return messages

    return lambda: async_to_sync(drain)()


def test_it_runs_a_job_to_a_private_track(alice, clip):
    job = make_job(alice, clip, seconds=2, seed=3)
    events = _listen(live.job_group(job.uid))
    assert runner.run_job(job.pk, worker="w1") == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.progress == 1.0 and job.error == ""
    track = job.track
    assert track.owner == alice and not track.published
    assert track.recipe == job.recipe and track.recipe["seed"] == 3
    samples, rate = sf.read(track.audio.open("rb"))
    assert rate == 44100 and len(samples) == 2 * 44100
    if (WEIGHTS_DIR / "tagger" / "config.json").exists():  # the shipped tagger describes the track
        assert len(track.embedding) == 128
        assert np.linalg.norm(track.embedding) == pytest.approx(1.0, abs=1e-3)
    assert np.sqrt(np.mean(samples**2)) > 0.01
    states = [m["state"] for m in events()]
    progress = [s["progress"] for s in states]
    assert progress == sorted(progress), "progress went backwards"
    assert len(set(progress)) >= 3
    assert states[0]["status"] == "running" and states[-1]["status"] == "done"
    assert states[-1]["result"]["audio"] == f"/tracks/{track.uid}/audio.wav"
    assert sum(1 for s in states if s["status"] == "done") == 1


def test_it_is_reproducible_from_the_recipe(alice, clip):
    first = make_job(alice, clip, seconds=1.5, seed=11)
    second = make_job(alice, clip, seconds=1.5, seed=11)
    for job in (first, second):
        runner.run_job(job.pk, worker="w1")
        job.refresh_from_db()
    assert first.track.audio.open("rb").read() == second.track.audio.open("rb").read()


def test_it_runs_a_claimed_job_only_once(alice, clip):
    job = make_job(alice, clip)
    assert job.claim("w1", 30)
    assert runner.run_job(job.pk, worker="w2") == "skipped"
    assert not Track.objects.exists()


def test_it_fails_with_a_readable_reason_and_keeps_going(alice, clip):
    # Digital silence in the analysis copy, as if a silent file had been uploaded.
    silent = make_clip(alice, "silence", samples=np.zeros(44100, dtype=np.float32))
    job = make_job(alice, silent)
    assert runner.run_job(job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert "silen" in job.error.lower()
    assert job.track is None
    ok = make_job(alice, clip, seconds=1)
    assert runner.run_job(ok.pk, worker="w1") == "done"


def test_it_fails_on_an_internal_error_without_a_traceback_for_the_user(alice, clip):
    job = make_job(alice, clip)
    clip.analysis.storage.delete(clip.analysis.name)  # the file vanished behind the row's back
    assert runner.run_job(job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert "internal error (FileNotFoundError)" in job.error
    assert "Traceback" not in job.error


def test_it_cancels_a_running_job_within_a_second(alice, clip, settings):
    job = make_job(alice, clip, seconds=60)
    result = {}

    def run() -> None:
        try:
            result["status"] = runner.run_job(job.pk, worker="w1")
        finally:
            connections.close_all()  # this thread's own connection must not outlive the test

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while GenerationJob.objects.get(pk=job.pk).progress < 0.05 and time.monotonic() < deadline:
        time.sleep(0.05)
    asked = time.monotonic()
    assert GenerationJob.objects.get(pk=job.pk).cancel()
    thread.join(timeout=10)
    assert time.monotonic() - asked < 1.5
    assert result["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled" and job.track is None
    assert not Track.objects.exists()
    assert all("/tracks/" not in str(p) for p in media_files(settings))


def test_it_requeues_a_job_whose_worker_vanished_then_fails_it(alice, clip):
    job = make_job(alice, clip)
    assert job.claim("dead-worker", 30)
    GenerationJob.objects.filter(pk=job.pk).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )
    assert reaper.reap() == {"queued": 1}
    job.refresh_from_db()
    assert job.status == "queued" and job.worker == ""
    assert job.claim("dead-again", 30)
    GenerationJob.objects.filter(pk=job.pk).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )
    assert reaper.reap() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error


def test_it_leaves_live_leases_alone(alice, clip):
    job = make_job(alice, clip)
    job.claim("alive", 30)
    assert reaper.reap() == {}
    assert GenerationJob.objects.get(pk=job.pk).status == "running"


def test_it_drops_the_work_of_a_worker_that_lost_its_lease(alice, clip):
    job = make_job(alice, clip, seconds=1)
    job.claim("slow", 30)
    GenerationJob.objects.filter(pk=job.pk).update(worker="other")  # a reaper gave it away
    assert job.finish("slow", track=None) is False
    assert job.fail("slow", "late") is False
    assert GenerationJob.objects.get(pk=job.pk).status == "running"


def test_it_keeps_progress_monotonic_in_the_row(alice, clip):
    job = make_job(alice, clip)
    job.claim("w1", 30)
    job.report("w1", 0.6, "synthesising 3/5", 2.0, 30)
    job.report("w1", 0.4, "late report", 2.0, 30)
    assert GenerationJob.objects.get(pk=job.pk).progress == 0.6


def test_it_stops_a_job_at_its_time_limit_and_says_why(alice, clip, settings):
    settings.JOB_TIME_LIMIT_BASE_SECONDS, settings.JOB_TIME_LIMIT_FACTOR = 1, 0
    job = make_job(alice, clip, seconds=60)
    assert runner.run_job(job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert "ran past its time limit of 1 seconds" in job.error
    assert job.progress < 0.5  # stopped early, not at the end of the work
    assert job.track is None and not Track.objects.exists()


def test_it_closes_the_task_row_of_a_worker_that_vanished(alice, clip):
    job = make_job(alice, clip)  # committed: its task is queued
    job.refresh_from_db()
    task = DBTaskResult.objects.get(id=job.task_id)
    task.claim("db-worker-then-killed")  # what the database worker does before running it
    assert job.claim("dead-worker", 30, task_id=str(task.pk))
    GenerationJob.objects.filter(pk=job.pk).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )
    assert reaper.reap() == {"queued": 1}
    task.refresh_from_db()
    assert task.status == "FAILED" and task.finished_at is not None
    assert "dead-worker stopped renewing" in task.traceback
    job.refresh_from_db()
    assert DBTaskResult.objects.ready().get().id == uuid.UUID(job.task_id)  # its new task
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
