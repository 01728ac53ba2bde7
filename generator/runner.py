"""Run one generation job inside a worker: claim, generate, store, report, finish.

This is the only place that turns the engine's progress(stage, fraction, **fields)
and cancelled() callbacks into row updates and channel messages. The job row is
claimed with a conditional update and held with a lease that a heartbeat
renews; a worker that dies lets the lease lapse and generator.reaper requeues
the job. A job that runs past its time limit is stopped like a cancelled one
and fails with the reason.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections

from generator.live import broadcast
from generator.models import GenerationJob, ModelVersion
from musicweb import files
from musicweb.gallery.models import Track, track_folder

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def broadcast_queue_positions(limit: int = 50) -> None:
    """Tell queued jobs their new place after the queue moved."""
    for job in GenerationJob.objects.in_queue_order()[:limit]:
        broadcast(job)


def load_model(version: ModelVersion):
    """The engine object for a model version, loaded once per worker process."""
    if not version.weights_path:
        return None  # training-free modes need no weights
    from generator.engine import checkpoints

    path = Path(version.weights_path)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return checkpoints.cached(path)


class Reporter:
    """Throttled progress, cancellation polling, the time limit and the lease heartbeat."""

    def __init__(self, job, worker: str) -> None:
        self.job = job
        self.worker = worker
        self.lease = settings.JOB_LEASE_SECONDS
        self.min_interval = 1.0 / settings.PROGRESS_EVENTS_PER_SECOND
        self.started = time.monotonic()
        self.time_limit = job.time_limit()
        self.last_sent = 0.0
        self.last_poll = 0.0
        self.lost = False  # the row is no longer ours (requeued by a reaper, or gone)
        self.cancel_seen = False
        self.timed_out = False
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> Reporter:
        self._heartbeat.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._heartbeat.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                if not self.job.report(
                    self.worker, self.job.progress, self.job.stage, self.job.eta_seconds, self.lease
                ):
                    self.lost = True
            except Exception:
                log.exception("heartbeat of job %s failed", self.job.uid)
            finally:
                close_old_connections()

    def progress(self, stage: str, fraction: float, **fields) -> None:
        """Record progress; `fields` are further columns of the row (a loss curve, say)."""
        now = time.monotonic()
        fraction = max(self.job.progress, min(1.0, float(fraction)))
        if now - self.last_sent < self.min_interval and fraction < 1.0:
            return
        self.last_sent = now
        elapsed = now - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else None
        if not self.job.report(self.worker, fraction, stage[:100], eta, self.lease, **fields):
            self.lost = True
        broadcast(self.job)

    def cancelled(self) -> bool:
        """True once the job should stop: cancelled, taken away, or past its time limit."""
        now = time.monotonic()
        if self.lost or self.cancel_seen or self.timed_out:
            return True
        if self.time_limit is not None and now - self.started > self.time_limit:
            self.timed_out = True
            return True
        if now - self.last_poll >= 0.2:
            self.last_poll = now
            self.cancel_seen = self.job._rows().filter(cancel_requested=True).exists()
        return self.cancel_seen


def _load_clips(job: GenerationJob) -> list:
    from generator.engine import audio

    clips = []
    for clip in (job.clip, job.clip2):
        if clip is not None:
            with clip.analysis.open("rb") as handle:
                clips.append(audio.load(handle, stereo=True))
    return clips


def _store_track(job: GenerationJob, samples) -> Track:
    """Write the WAV master, spectrogram and peaks, and create the private Track."""
    from generator.autotag import describe
    from generator.engine import audio

    labels, embedding = describe(samples)
    track = Track(
        owner=job.owner,
        title=job.title,
        mode=job.mode,
        model_version=job.model_version,
        recipe=job.recipe,
        tags=", ".join(labels),
        embedding=embedding,
        peaks=audio.waveform_peaks(samples),
        duration=round(samples.shape[-1] / audio.SAMPLE_RATE, 3),
    )
    folder = track_folder(track)
    wav = audio.encode(samples, "wav")
    png = audio.spectrogram_png(audio.log_mel(audio.to_mono(samples)).numpy())
    with files.all_or_nothing(default_storage) as save:
        track.audio = save(f"{folder}/track.wav", ContentFile(wav))
        track.spectrogram = save(f"{folder}/spectrogram.png", ContentFile(png))
        track.stored_bytes = len(wav) + len(png)
        track.save()
    return track


def time_limit_error(job) -> str:
    """The reason a job stopped at its limit, in words that say what to change."""
    return (
        f"This job ran past its time limit of {job.time_limit():.0f} seconds, set by its "
        "length and steps. Try a shorter duration or fewer steps."
    )


def run_job(job_id: int, worker: str = WORKER_ID, task_id: str = "") -> str:
    """Run the job if it is still queued; return its final status."""
    from generator.engine import errors, modes

    try:
        job = GenerationJob.objects.select_related("model_version", "clip", "clip2").get(pk=job_id)
    except GenerationJob.DoesNotExist:
        return "missing"
    if not job.claim(worker, settings.JOB_LEASE_SECONDS, task_id):
        return "skipped"
    broadcast(job)
    broadcast_queue_positions()
    log.info("job %s (%s, %.0f s) started on %s", job.uid, job.mode, job.seconds, worker)

    with Reporter(job, worker) as reporter:
        track = None
        try:
            # A dream has no clip to analyse: say what it does wait for, the model.
            reporter.progress("analysing clip" if job.clip_id else "loading the model", 0.0)
            clips = _load_clips(job)
            model = load_model(job.model_version)
            samples = modes.generate(
                job.mode,
                clips,
                modes.Params.of(job),
                model=model,
                progress=lambda stage, fraction, **_: reporter.progress(
                    stage, 0.02 + 0.9 * fraction
                ),
                cancelled=reporter.cancelled,
            )
            if reporter.cancelled():
                raise errors.Cancelled("cancelled")
            reporter.progress("encoding", 0.95)
            track = _store_track(job, samples)
            if not job.finish(worker, track):
                raise errors.Cancelled("the job was cancelled or taken from this worker")
        except errors.Cancelled:
            if track is not None:
                track.delete()
            if reporter.lost:
                log.warning("job %s was taken from %s; dropping its work", job.uid, worker)
                return "lost"
            if reporter.timed_out:
                job.fail(worker, time_limit_error(job))
            else:
                job.mark_cancelled(worker)
        except (errors.InvalidInput, files.StorageFull) as exc:
            job.fail(worker, str(exc))
        except Exception as exc:
            log.exception("job %s failed", job.uid)
            job.fail(
                worker,
                f"The generator hit an internal error ({type(exc).__name__}). "
                "It is logged; please retry, or try other settings.",
            )
    job.refresh_from_db()
    broadcast(job)
    log.info("job %s ended %s", job.uid, job.status)
    return job.status
