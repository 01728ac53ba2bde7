"""The queue's side of a job: task functions that hand a job id to a runner, and task rows.

Task functions are a few lines; the job row stays the truth. The rest answers what
the reaper needs to know of the queue: whether a queued job still has a task that
will run it, and closing the task row of a worker that died (the database backend
would leave it RUNNING forever).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from generator.models import TrainingJob

log = logging.getLogger(__name__)


@task(takes_context=True)
def run_generation(context, job_id: int) -> str:
    from generator.runner import run_job

    return run_job(job_id, task_id=str(context.task_result.id))


@task(queue_name="training", takes_context=True)
def run_training(context, job_id: int) -> str:
    from generator.training_runner import run_training_job

    return run_training_job(job_id, task_id=str(context.task_result.id))


def task_for(job) -> Task:
    """Generation and training jobs have their own queues."""
    return run_training if isinstance(job, TrainingJob) else run_generation


def is_stranded(job, grace: timedelta) -> bool:
    """True when no task will ever run this queued job.

    Its task was never enqueued (the enqueue after commit failed), or the queue
    no longer holds it, or a worker took it more than `grace` ago without claiming
    the job (it died in between). A backend that cannot look tasks up cannot tell:
    then only a job without a task counts.
    """
    if not job.task_id:
        return True
    backend = task_for(job).get_backend()
    if not backend.supports_get_result:
        return False
    try:
        result = backend.get_result(job.task_id)
    except TaskResultDoesNotExist:
        return True
    if result.status == TaskResultStatus.READY:
        return False
    if result.status == TaskResultStatus.RUNNING:
        return result.started_at is not None and result.started_at < timezone.now() - grace
    return True


def close_abandoned(job, reason: str) -> bool:
    """Mark the job's task row failed if it is still RUNNING; True if one was closed.

    Only the database backend keeps such rows; other backends track their own.
    """
    if not job.task_id or not isinstance(task_for(job).get_backend(), DatabaseBackend):
        return False
    closed = DBTaskResult.objects.filter(id=job.task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="generator.tasks.WorkerLost",
        traceback=reason,
        return_value=None,
    )
    if closed:
        log.warning("closed task %s of %s: %s", job.task_id, job, reason)
    return bool(closed)
