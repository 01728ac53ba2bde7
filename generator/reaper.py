"""Keep every unfinished job moving: requeue the work of dead workers, queue stranded jobs.

Every worker runs reaper_loop() in a thread. A pass finds
- running jobs whose lease lapsed (their worker died, even by kill -9): each goes
  back to the queue, or fails after too many tries, and the dead worker's task
  row is closed so it does not stay RUNNING forever;
- queued jobs that no task will run (the enqueue after commit failed, or a worker
  died between taking the task and claiming the job): each is queued again, or
  fails with the reason when the queue refuses it.
Either way the job stops counting against its owner's active-job limit.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from generator.jobs import enqueue
from generator.live import broadcast
from generator.models import GenerationJob, JobStatus, TrainingJob, WorkerHeartbeat
from generator.runner import WORKER_ID
from generator.tasks import close_abandoned, is_stranded

log = logging.getLogger(__name__)

QUEUE_REFUSED = "The job could not be put on the queue ({reason}). Please retry."


def _requeue(job) -> str:
    """Give a queued job a new task; fail it with the reason if the queue refuses."""
    try:
        enqueue(job)
    except Exception as exc:
        log.exception("could not queue %s again", job)
        job.fail_unqueued(QUEUE_REFUSED.format(reason=type(exc).__name__))
    job.refresh_from_db()
    return job.status


def reap_lapsed(model) -> Counter:
    """Requeue (or fail) running jobs whose worker stopped renewing the lease."""
    counts: Counter = Counter()
    for job in model.objects.expired_leases():
        worker = job.worker or "?"
        outcome = job.requeue_or_fail()
        job.refresh_from_db()
        close_abandoned(job, f"Worker {worker} stopped renewing the job's lease.")
        log.warning("%s lease expired (worker %s): %s", job, worker, outcome)
        if job.status == JobStatus.QUEUED:
            outcome = _requeue(job)
        counts[outcome] += 1
        broadcast(job)
    return counts


def reap_stranded(model) -> Counter:
    """Queue again the queued jobs that no task will run; give each a lease of grace."""
    grace = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    counts: Counter = Counter()
    for job in model.objects.queued().filter(created__lt=timezone.now() - grace):
        if not is_stranded(job, grace):
            continue
        close_abandoned(job, "The worker that took this task stopped before starting its job.")
        outcome = _requeue(job)
        log.warning("%s was queued without a task to run it: %s", job, outcome)
        counts[f"stranded, {outcome}"] += 1
        broadcast(job)
    return counts


def reap() -> dict[str, int]:
    """One pass over both kinds of job; how many jobs ended up in which state."""
    counts: Counter = Counter()
    for model in (GenerationJob, TrainingJob):
        counts += reap_lapsed(model)
        counts += reap_stranded(model)
    return dict(counts)


def reaper_loop(stop: threading.Event, interval: float | None = None) -> None:
    """Say this worker is alive and reap, every third of a lease.

    A dead worker's job is then back in the queue within about 1.3 leases.
    """
    interval = interval or settings.JOB_LEASE_SECONDS / 3
    while True:
        try:
            WorkerHeartbeat.beat(WORKER_ID)
            reap()
        except Exception:
            log.exception("reaper pass failed")
        finally:
            close_old_connections()
        if stop.wait(interval):
            return
