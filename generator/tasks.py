"""Task functions for Django's tasks API: a few lines that hand a job id to the runner."""

from __future__ import annotations

from django_tasks import task


@task()
def run_generation(job_id: int) -> str:
    from generator.runner import run_job

    return run_job(job_id)


@task(queue_name="training")
def run_training(job_id: int) -> str:
    from generator.training_runner import run_training_job

    return run_training_job(job_id)
