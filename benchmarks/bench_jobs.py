"""Measure the job path end to end: real daphne, real workers, real sockets.

Prints submit-to-first-progress time, worker-report-to-browser latency
(p50, p95), jobs per minute with 1 and 2 workers for 10 s variations, and
worker memory. Embedded setup by default; --scaleout uses PostgreSQL and Redis.

    .venv/bin/python benchmarks/bench_jobs.py [--scaleout] [--jobs 6] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def configure(scaleout: bool) -> None:
    var = tempfile.mkdtemp(prefix="musicweb-bench-")
    os.environ.update({"VAR_DIR": var, "HTTPS": "0", "DJANGO_SETTINGS_MODULE": "musicweb.settings"})
    if scaleout:
        os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/musicweb_bench")
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
    import django

    django.setup()
    from django.core.management import call_command

    if scaleout:
        _recreate_postgres_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    if not scaleout:
        call_command("migrate", database="channels", verbosity=0)


def _recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def watch_user(url: str, cookie: str, events: list, stop: threading.Event, ready: threading.Event):
    from websockets.sync.client import connect

    with connect(
        url.replace("http", "ws") + "/ws/jobs/",
        additional_headers={"Cookie": cookie, "Origin": url},
    ) as ws:
        ready.set()
        while not stop.is_set():
            try:
                state = json.loads(ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            events.append((time.time(), state))


def run(workers: int, jobs: int, seconds: float, user, clip, url: str, stack, cookie: str) -> dict:
    from generator.models import GenerationJob
    from tests.factories import make_job

    events: list = []
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=watch_user, args=(url, cookie, events, stop, ready), daemon=True
    )
    watcher.start()
    ready.wait(30)
    submitted = {}
    started = time.time()
    created = []
    for i in range(jobs):
        job = make_job(user, clip, seconds=seconds, seed=1000 + i)
        submitted[str(job.uid)] = time.time()
        created.append(job)
    while (
        GenerationJob.objects.filter(pk__in=[j.pk for j in created]).exclude(status="done").exists()
    ):
        if GenerationJob.objects.filter(pk__in=[j.pk for j in created], status="failed").exists():
            raise SystemExit("a job failed: " + stack.log("worker-0"))
        time.sleep(0.2)
    wall = time.time() - started
    time.sleep(0.5)
    stop.set()
    watcher.join(5)
    first_progress = {}
    latencies = []
    for received, state in events:
        if "sent_at" in state:
            latencies.append((received - state["sent_at"]) * 1000)
        if (
            state["id"] in submitted
            and state["status"] == "running"
            and state["id"] not in first_progress
        ):
            first_progress[state["id"]] = received - submitted[state["id"]]
    first_job = str(created[0].uid)
    return {
        "workers": workers,
        "jobs": jobs,
        "wall_s": round(wall, 1),
        "jobs_per_minute": round(60 * jobs / wall, 2),
        "submit_to_first_progress_s": round(first_progress.get(first_job, float("nan")), 3),
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p95": round(percentile(latencies, 95), 1) if latencies else None,
        "events": len(latencies),
        "worker_rss_mb": [round(rss_mb(w.pid)[0]) for w in stack.workers],
        "worker_peak_rss_mb": [round(rss_mb(w.pid)[1]) for w in stack.workers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scaleout", action="store_true", help="PostgreSQL + Redis instead of SQLite"
    )
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    configure(args.scaleout)

    from django.conf import settings
    from django.test import Client

    from tests.factories import make_clip, make_user
    from tests.stack import Stack

    settings.MAX_ACTIVE_JOBS = settings.JOBS_PER_HOUR = 1000
    user = make_user("bench")
    clip = make_clip(user)
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    print(
        f"setup: {'PostgreSQL + Redis' if args.scaleout else 'embedded (SQLite channel layer)'}, "
        f"{os.cpu_count()} CPUs, {args.jobs} jobs of {args.seconds:g} s variation"
    )
    for workers in (1, 2):
        stack = Stack()
        try:
            url = stack.start_web()
            stack.start_workers(workers)
            time.sleep(8)  # let workers import torch and warm up before timing
            result = run(workers, args.jobs, args.seconds, user, clip, url, stack, cookie)
        finally:
            stack.stop()
        print(json.dumps(result))


if __name__ == "__main__":
    main()
