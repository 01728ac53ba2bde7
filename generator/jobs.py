"""Submitting jobs: per-user limits, the row, and the queue message after commit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generator.engine.catalog import MODE_INFO
from generator.engine.contract import SETTINGS, with_defaults
from generator.models import GenerationJob

MAX_TURN = 100  # the queue's lowest priority is -100


class JobRefused(Exception):
    """A job we will not queue; the message is for the person who asked."""


def check_limits(user) -> None:
    """Refuse a job past the user's limits; call inside the transaction that creates it.

    The user's row stays locked until that transaction ends, so simultaneous
    submissions are counted one after another, not all against the same count.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    active = GenerationJob.objects.owned_by(user).unfinished().count()
    if active >= settings.MAX_ACTIVE_JOBS:
        raise JobRefused(
            f"You already have {active} jobs queued or running; the limit is "
            f"{settings.MAX_ACTIVE_JOBS}. Wait for one to finish or cancel one."
        )
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = GenerationJob.objects.owned_by(user).filter(created__gte=hour_ago).count()
    if recent >= settings.JOBS_PER_HOUR:
        raise JobRefused(
            f"You started {recent} jobs in the last hour; the limit is {settings.JOBS_PER_HOUR}. "
            "Please try again later."
        )


def submit(user, data: dict) -> GenerationJob:
    """Create a queued job from GenerateForm's cleaned data and enqueue it once committed.

    Every recipe setting becomes a column of the row; one left out takes its default.
    """
    with transaction.atomic():
        check_limits(user)
        clips = [c for c in (data.get("clip"), data.get("clip2")) if c]
        job = GenerationJob.objects.create(
            owner=user, source_names=[c.title for c in clips], **with_defaults(data)
        )
        transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job) -> None:
    """Put a job's id on its queue, behind every other account's jobs of an earlier turn.

    The job's turn counts its owner's older unfinished jobs and becomes the task's
    priority (0, -1, -2...): the queue takes every account's first waiting job before
    anyone's second, round robin by owner, so one account's long jobs cannot make
    everyone else wait behind all of them. Called after the job row commits; if it
    fails, the row stays queued without a task and the reaper queues it again.
    """
    from generator.tasks import task_for

    model = type(job)
    older = Q(created__lt=job.created) | Q(created=job.created, pk__lt=job.pk)
    turn = model.objects.filter(older, owner_id=job.owner_id).unfinished().count()
    turn = min(turn, MAX_TURN)
    task = task_for(job)
    if task.get_backend().supports_priority:
        task = task.using(priority=-turn)
    result = task.enqueue(job.pk)
    model.objects.filter(pk=job.pk).update(task_id=str(result.id), turn=turn)


def resubmit(job: GenerationJob, *, new_seed: int | None = None) -> GenerationJob:
    """Queue the same recipe again (Retry keeps the seed; Generate again picks a new one)."""
    data = {name: getattr(job, name) for name in SETTINGS}
    if new_seed is not None:
        data["seed"] = new_seed
    needed = MODE_INFO[job.mode].clips
    if (needed >= 1 and job.clip is None) or (needed >= 2 and job.clip2 is None):
        raise JobRefused("A source clip of this job was deleted; pick another one.")
    return submit(job.owner, data)
