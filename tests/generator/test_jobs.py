"""Submitting generation jobs from the Generate page: validation, limits, ownership."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from generator import reaper
from generator.engine.catalog import MODE_INFO
from generator.forms import GenerateForm
from generator.jobs import JobRefused, submit
from generator.models import GenerationJob, ModelVersion
from tests.factories import make_clip, make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(alice):
    return make_clip(alice)


def _post(client, **fields):
    data = {"mode": "variation", "seconds": 5, "strength": 0.5, "seed": 42, "title": "", **fields}
    return client.post("/generate/", data)


def test_it_shows_the_form_with_a_random_seed_and_hints(client, alice, clip):
    client.force_login(alice)
    page = client.get("/generate/")
    assert page.status_code == 200
    form = page.context["form"]
    assert 0 <= form.initial["seed"] < 2**31
    html = page.content.decode()
    assert "The same clip, settings and seed always give the same music." in html
    assert clip.title in html and "texture v1" in html


def test_it_queues_a_job_and_shows_its_page(
    client, alice, clip, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, clip=clip.uid)
    job = GenerationJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.owner, job.mode, job.seed, job.seconds, job.status) == (
        alice,
        "variation",
        42,
        5,
        "queued",
    )
    assert job.model_version == ModelVersion.objects.get(name="texture")
    assert job.title == "Variation of trumpet"
    assert job.source_names == ["trumpet"]
    assert job.task_id  # enqueued after commit
    page = client.get(job.get_absolute_url()).content.decode()
    assert "number 1 in the queue" in page and f"/ws/jobs/{job.uid}/" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "clip", "Variation needs a clip"),
        ({"mode": "style"}, "clip2", "Style transfer needs a second clip"),
        ({"seconds": 0}, "seconds", "greater than or equal to 1"),
        ({"seconds": 301}, "seconds", "at most 300 seconds"),
        ({"strength": 1.5}, "strength", "less than or equal to 1"),
        ({"mode": "karaoke"}, "mode", "Select a valid choice"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
    ],
)
def test_it_explains_bad_requests_next_to_the_field(client, alice, clip, fields, field, message):
    client.force_login(alice)
    if field != "clip":
        fields.setdefault("clip", clip.uid)
    response = _post(client, **fields)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not GenerationJob.objects.exists()


def test_it_refuses_another_users_clip(client, alice, bob, clip):
    client.force_login(bob)
    response = _post(client, clip=clip.uid)
    assert "Select a valid choice" in " ".join(response.context["form"].errors["clip"])
    assert not GenerationJob.objects.exists()


def test_it_refuses_a_model_that_does_not_serve_the_mode(client, alice, clip):
    tagger = ModelVersion.objects.create(name="tagger-x", arch="tagger", modes=[], state="active")
    client.force_login(alice)
    response = _post(client, clip=clip.uid, model_version=tagger.pk)
    assert "does not serve Variation" in " ".join(response.context["form"].errors["model_version"])


def test_it_limits_active_jobs_per_user(client, alice, bob, clip, settings):
    settings.MAX_ACTIVE_JOBS = 2
    for _ in range(2):
        make_job(alice, clip)
    client.force_login(alice)
    response = _post(client, clip=clip.uid)
    assert "the limit is 2" in response.content.decode()
    assert GenerationJob.objects.count() == 2
    make_job(bob, make_clip(bob))  # others are not affected
    GenerationJob.objects.filter(owner=alice).first().cancel()
    assert _post(client, clip=clip.uid).status_code == 302


def test_it_rate_limits_jobs_per_hour(client, alice, clip, settings):
    settings.JOBS_PER_HOUR = 2
    for _ in range(2):
        make_job(alice, clip).cancel()
    client.force_login(alice)
    assert "in the last hour" in _post(client, clip=clip.uid).content.decode()


def test_it_cancels_a_queued_job_at_once(client, alice, clip):
    job = make_job(alice, clip)
    client.force_login(alice)
    client.post(f"/jobs/{job.uid}/cancel/")
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished is not None
    assert job.claim("w1", 30) is False  # a worker can no longer take it


def test_it_refills_the_form_from_a_job_and_queues_again(
    client, alice, clip, django_capture_on_commit_callbacks
):
    job = make_job(alice, clip, seconds=4, seed=99, strength=0.3)
    client.force_login(alice)
    form = client.get(f"/generate/?from={job.uid}").context["form"]
    assert (form.initial["seconds"], form.initial["seed"], form.initial["clip"]) == (
        4,
        99,
        clip.uid,
    )
    job.cancel()
    retry = client.post(f"/jobs/{job.uid}/again/")
    again = GenerationJob.objects.latest("created")
    assert retry["Location"] == again.get_absolute_url()
    assert (again.seed, again.seconds, again.strength) == (99, 4, 0.3)
    again.cancel()
    client.post(f"/jobs/{job.uid}/again/", {"seed": "new"})
    assert GenerationJob.objects.latest("created").seed != 99


def test_it_lists_my_jobs_only(client, alice, bob, clip):
    make_job(alice, clip, title="alice's tune")
    make_job(bob, make_clip(bob), title="bob's tune")
    client.force_login(alice)
    html = client.get("/jobs/").content.decode()
    assert "alice&#x27;s tune" in html and "bob&#x27;s tune" not in html
    assert "alice&#x27;s tune" not in client.get("/jobs/?status=done").content.decode()


@pytest.mark.parametrize("path", ["/jobs/{uid}/", "/generate/?from={uid}"])
def test_it_hides_jobs_from_other_users(client, alice, bob, clip, path):
    job = make_job(alice, clip)
    client.force_login(bob)
    assert client.get(path.format(uid=job.uid)).status_code == 404
    for action in ("cancel", "again"):
        assert client.post(f"/jobs/{job.uid}/{action}/").status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"
    assert GenerationJob.objects.count() == 1


def test_it_lets_staff_see_but_not_resubmit_others_jobs(client, alice, charlie, clip):
    job = make_job(alice, clip)
    client.force_login(charlie)
    assert client.get(f"/jobs/{job.uid}/").status_code == 200
    assert client.post(f"/jobs/{job.uid}/again/").status_code == 404


def test_it_sends_visitors_to_log_in(client, alice, clip):
    job = make_job(alice, clip)
    for path in ("/generate/", "/jobs/", f"/jobs/{job.uid}/"):
        assert client.get(path)["Location"].startswith("/accounts/login/")


def test_it_answers_404_for_a_malformed_job_id(client, alice):
    client.force_login(alice)
    for path in ("/jobs/not-a-uuid/", "/generate/?from=not-a-uuid"):
        assert client.get(path).status_code == 404


def test_it_refuses_more_steps_than_the_mode_allows(client, alice, clip):
    client.force_login(alice)
    cap = MODE_INFO["remix"].max_steps
    response = _post(client, mode="remix", clip=clip.uid, steps=cap + 1)
    assert f"Remix takes at most {cap} steps." in response.context["form"].errors["steps"]
    assert not GenerationJob.objects.exists()
    assert MODE_INFO["continue"].max_steps < MODE_INFO["remix"].max_steps  # the costliest mode


def test_it_derives_the_time_limit_from_the_work(alice, clip, settings):
    settings.JOB_TIME_LIMIT_BASE_SECONDS, settings.JOB_TIME_LIMIT_FACTOR = 60, 5

    def limit(mode: str, seconds: float, steps: int | None) -> float:
        return GenerationJob(mode=mode, seconds=seconds, steps=steps).time_limit()

    assert 60 < limit("variation", 2, None) < 65  # a short job is stopped within about a minute
    assert limit("variation", 20, None) > limit("variation", 10, None)
    assert limit("variation", 10, 200) > limit("variation", 10, None)
    assert limit("continue", 10, 20) > limit("remix", 10, 20)  # continue's windows overlap
    # The longest job the form allows still ends within the hour.
    longest = MODE_INFO["continue"]
    assert limit("continue", longest.max_seconds, longest.max_steps) < 3600


def test_it_queues_every_accounts_first_job_before_anyones_second(
    alice, bob, clip, tmp_path, django_capture_on_commit_callbacks
):
    bobs_clip = make_clip(bob, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        alices = [make_job(alice, clip, seed=i) for i in range(3)]
        bobs = make_job(bob, bobs_clip)
    expected = [alices[0], bobs, alices[1], alices[2]]
    # The order the database worker takes tasks in, and the places the pages show.
    taken = [task.args_kwargs["args"][0] for task in DBTaskResult.objects.ready()]
    assert taken == [job.pk for job in expected]
    for place, job in enumerate(expected, start=1):
        job.refresh_from_db()
        assert job.queue_position() == place, (place, job.turn)


def test_it_queues_again_a_job_whose_task_was_never_queued(
    alice, clip, settings, django_capture_on_commit_callbacks
):
    settings.MAX_ACTIVE_JOBS = 1
    job = make_job(alice, clip)  # committed, but its enqueue after commit never ran
    assert job.task_id == ""
    assert reaper.reap() == {}  # within a lease it may still be on its way
    _age(job, settings.JOB_LEASE_SECONDS + 1)
    assert reaper.reap() == {"stranded, queued": 1}
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id
    assert DBTaskResult.objects.ready().get().id == uuid.UUID(job.task_id)
    assert reaper.reap() == {}  # now it has a task that will run it


def test_it_fails_a_stranded_job_with_a_reason_when_the_queue_refuses_it(
    client, alice, clip, settings
):
    settings.MAX_ACTIVE_JOBS = 1
    job = make_job(alice, clip)
    _age(job, settings.JOB_LEASE_SECONDS + 1)
    settings.TASKS = {"default": {**settings.TASKS["default"], "QUEUES": ["training"]}}
    assert reaper.reap() == {"stranded, failed": 1}
    job.refresh_from_db()
    assert job.status == "failed" and "could not be put on the queue" in job.error
    settings.TASKS = {"default": {**settings.TASKS["default"], "QUEUES": ["default", "training"]}}
    client.force_login(alice)  # it no longer counts against the active-job limit
    assert _post(client, clip=clip.uid).status_code == 302


def test_it_requeues_a_job_whose_worker_died_before_claiming_it(
    alice, clip, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job(alice, clip)
    job.refresh_from_db()
    task = DBTaskResult.objects.get(id=job.task_id)
    task.claim("worker-killed-before-claiming-the-job")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    )
    _age(job, settings.JOB_LEASE_SECONDS + 1)
    assert reaper.reap() == {"stranded, queued": 1}
    task.refresh_from_db()
    assert task.status == "FAILED" and task.finished_at is not None
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id != str(task.pk)
    assert DBTaskResult.objects.ready().get().id == uuid.UUID(job.task_id)


def _age(job, seconds: float) -> None:
    GenerationJob.objects.filter(pk=job.pk).update(
        created=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.mark.scaleout
@pytest.mark.django_db(transaction=True)
def test_it_holds_the_active_job_limit_against_simultaneous_submissions(alice, clip, settings):
    settings.MAX_ACTIVE_JOBS = 3
    form = GenerateForm(
        alice,
        {"mode": "variation", "clip": str(clip.uid), "seconds": 2, "strength": 0.5, "seed": 1},
    )
    assert form.is_valid(), form.errors
    threads, start = 30, threading.Barrier(30)
    outcomes: list[str] = []

    def submit_one() -> None:
        try:
            start.wait()
            submit(alice, dict(form.cleaned_data))
            outcomes.append("queued")
        except JobRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=submit_one) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["queued"] * 3 + ["refused"] * 27
    assert GenerationJob.objects.owned_by(alice).unfinished().count() == 3
