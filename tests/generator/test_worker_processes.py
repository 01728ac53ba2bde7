"""Real worker processes and a real server: many jobs at once, live sockets, a worker killed.

Runs against the embedded setup by default, and against PostgreSQL and Redis
when DATABASE_URL and REDIS_URL are set (the Makefile's scale-out run).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from websockets.sync.client import connect

from generator.models import GenerationJob
from musicweb.gallery.models import Track
from tests.factories import make_clip, make_job, make_user
from tests.stack import Stack

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.slow,
    pytest.mark.scaleout,
]
FINISHED = {"done", "failed", "cancelled"}


@pytest.fixture
def stack():
    running = Stack(JOB_LEASE_SECONDS="6")
    yield running
    running.stop()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _watch(url: str, job: GenerationJob, cookie: str, received: list, ready: threading.Event):
    """Collect every state the job's socket sends until a final one (or a minute of silence)."""
    ws_url = url.replace("http", "ws") + f"/ws/jobs/{job.uid}/"
    with connect(
        ws_url, additional_headers={"Cookie": cookie, "Origin": url}, open_timeout=30
    ) as socket:
        ready.set()
        while True:
            state = json.loads(socket.recv(timeout=120))
            state["_at"] = time.monotonic()
            received.append(state)
            if state["status"] in FINISHED:
                # Anything after the final event would be a second final event: wait briefly for it.
                try:
                    received.append(json.loads(socket.recv(timeout=1)))
                except TimeoutError:
                    return


def _wait_all_finished(jobs, timeout: float) -> list[GenerationJob]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(GenerationJob.objects.filter(pk__in=[j.pk for j in jobs]))
        if all(row.status in FINISHED for row in rows):
            return rows
        time.sleep(0.25)
    raise AssertionError(f"jobs still unfinished: {[(r.uid, r.status, r.stage) for r in rows]}")


def test_it_runs_ten_jobs_from_three_users_on_two_workers(stack, settings):
    settings.MAX_ACTIVE_JOBS = 5
    url = stack.start_web()
    users = [make_user(name) for name in ("ann", "ben", "cat")]
    clips = {user: make_clip(user) for user in users}
    cookies = {user: _session_cookie(user) for user in users}
    jobs = [make_job(users[i % 3], clips[users[i % 3]], seconds=2, seed=i) for i in range(10)]

    received = {job.pk: [] for job in jobs}
    watchers = []
    for job in jobs:
        ready = threading.Event()
        thread = threading.Thread(
            target=_watch, args=(url, job, cookies[job.owner], received[job.pk], ready), daemon=True
        )
        thread.start()
        assert ready.wait(30), "socket did not open"
        watchers.append(thread)
    stack.start_workers(2)

    rows = _wait_all_finished(jobs, timeout=300)
    for thread in watchers:
        thread.join(timeout=10)
    assert {row.status for row in rows} == {"done"}, [(r.status, r.error) for r in rows]
    assert Track.objects.count() == 10  # every job completed exactly once
    assert len({row.worker.rsplit(":", 1)[-1] for row in rows}) == 2  # both workers worked
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert json.loads(response.read())["workers"] == 2
    for job in jobs:
        states = received[job.pk]
        progress = [s["progress"] for s in states]
        assert progress == sorted(progress), f"progress went backwards for {job.uid}: {progress}"
        finals = [s for s in states if s["status"] in FINISHED]
        assert len(finals) == 1 and finals[0]["status"] == "done", states[-3:]
        assert finals[0]["result"]["audio"].startswith("/tracks/")
        assert len(set(progress)) >= 3


def test_it_recovers_when_a_worker_is_killed_mid_job(stack, alice):
    clip = make_clip(alice)
    jobs = [make_job(alice, clip, seconds=8, seed=i) for i in range(3)]
    stack.start_workers(2)
    victim_pid = str(stack.workers[0].pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = GenerationJob.objects.filter(
            status="running", worker__endswith=f":{victim_pid}"
        ).first()
        if running and running.progress > 0.05:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the first worker never ran a job:\n" + stack.log("worker-0"))
    killed_task = running.task_id
    stack.kill_worker(0)
    killed_at = timezone.now()

    rows = _wait_all_finished(jobs, timeout=420)
    victim = next(row for row in rows if row.pk == running.pk)
    assert victim.attempts == 2, "the killed job was not run again"
    # The killed job's second attempt finishes: every job is done.
    assert {row.status for row in rows} == {"done"}, [(r.status, r.error) for r in rows]
    assert Track.objects.count() == sum(row.status == "done" for row in rows)
    assert victim.started > killed_at  # claimed again after the kill
    # The killed worker's task row is closed, not left RUNNING forever.
    assert DBTaskResult.objects.get(id=killed_task).status == "FAILED"
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()


def test_it_takes_turns_between_accounts(stack, alice, bob, tmp_path):
    """Alice queues three jobs, then Bob one: the worker runs Bob's second, not last."""
    alices = [make_job(alice, make_clip(alice, tmp_path), seconds=4, seed=i) for i in range(3)]
    bobs = make_job(bob, make_clip(bob, tmp_path), seconds=2)
    stack.start_workers(1)
    rows = _wait_all_finished([*alices, bobs], timeout=300)
    assert {row.status for row in rows} == {"done"}, [(r.status, r.error) for r in rows]
    order = [row.pk for row in sorted(rows, key=lambda row: row.started)]
    assert order == [alices[0].pk, bobs.pk, alices[1].pk, alices[2].pk]
