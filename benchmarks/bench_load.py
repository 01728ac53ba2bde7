"""Load on the real site: many people browsing while workers generate, and many job sockets.

Starts the site the way `make run` does (`manage.py serve`: daphne + job workers) in a fresh
temporary VAR_DIR on a free loopback port, seeds published tracks, then:

1. USERS threads browse the gallery, track pages and spectrograms (REQUESTS each) while
   SOCKET_USERS of them also hold a WebSocket on their own running job and WORKERS workers
   run those jobs. Reports error responses, p50/p95/max page latency, and the resident memory
   (RSS) of every process before and after (after a warm-up pass, so growth means a leak).
2. WATCHERS WebSockets (a staff session) watch JOBS jobs at once; every socket must receive
   its job's final event.

Bounded: a fixed number of requests and a deadline per phase. Only the standard library and
`websockets` (the test extra). Run: .venv/bin/python benchmarks/bench_load.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FINISHED = {"done", "failed", "cancelled"}
PASSWORD = "pw-load-1234"  # noqa: S105 - throwaway accounts in a temporary database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def process_name(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return "web" if b"daphne" in args or b"musicweb.webserver" in args else "worker"


def setup_django(var_dir: Path) -> None:
    os.environ.update(
        VAR_DIR=str(var_dir),
        HTTPS="0",
        DJANGO_SETTINGS_MODULE="musicweb.settings",
        MAX_ACTIVE_JOBS="100",
        JOBS_PER_HOUR="1000",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="channels", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def seed(tracks: int, users: int) -> dict:
    """Published tracks by a few authors; browsing users with a clip each; a staff user."""
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.utils import timezone

    from generator.engine import audio
    from musicweb.gallery.models import Track, track_folder
    from musicweb.library.ingest import ingest

    User = get_user_model()
    rate = audio.SAMPLE_RATE
    t = np.arange(rate * 4) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )
    wav = audio.encode(tone, "wav")
    png = audio.spectrogram_png(audio.log_mel(tone))
    authors = [User.objects.create_user(f"author{i}", password=PASSWORD) for i in range(5)]
    for i in range(tracks):
        track = Track(
            owner=authors[i % len(authors)],
            title=f"Load track {i}",
            tags="load, tone",
            mode="variation",
            recipe={"mode": "variation", "seed": i, "seconds": 4.0},
            peaks=[0.2] * 600,
            duration=4.0,
            published=True,
            published_at=timezone.now(),
        )
        folder = track_folder(track)
        track.audio = default_storage.save(f"{folder}/track.wav", ContentFile(wav))
        track.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(png))
        track.save()
    people = []
    for i in range(users):
        user = User.objects.create_user(f"listener{i}", password=PASSWORD)
        clip = ingest(user, SimpleUploadedFile("tone.wav", wav))
        client = Client()
        client.force_login(user)
        people.append((user, clip, client.cookies["sessionid"].value))
    staff = User.objects.create_user("staff", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)
    return {
        "tracks": [str(uid) for uid in Track.objects.values_list("uid", flat=True)],
        "people": people,
        "staff_cookie": client.cookies["sessionid"].value,
    }


def submit_job(user, clip, seconds: float, seed: int):
    from generator.forms import GenerateForm
    from generator.jobs import submit

    form = GenerateForm(
        user,
        {
            "mode": "variation",
            "clip": str(clip.uid),
            "seconds": seconds,
            "strength": 0.5,
            "seed": seed,
        },
    )
    assert form.is_valid(), form.errors
    return submit(user, form.cleaned_data)


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the site exited while starting")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the site did not start in time")


def browse(url: str, paths: list[str], cookie: str | None, results: list) -> None:
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    for path in paths:
        request = urllib.request.Request(url + path, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            status = f"{type(exc).__name__}"
        results.append((path, status, time.perf_counter() - started))


def browsing_paths(tracks: list[str], count: int, offset: int) -> list[str]:
    choices = []
    for i in range(count):
        uid = tracks[(offset * 7 + i) % len(tracks)]
        choices.append(
            [
                "/gallery/",
                f"/tracks/{uid}/",
                "/gallery/?sort=top",
                f"/tracks/{uid}/spectrogram.png",
                "/gallery/?page=2",
                f"/users/author{i % 5}/",
                "/",
            ][i % 7]
        )
    return choices


async def watch(ws_url: str, cookie: str, origin: str, timeout: float) -> dict:
    import websockets

    states = []
    try:
        async with websockets.connect(
            ws_url,
            additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
            open_timeout=60,
            max_queue=None,
        ) as ws:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                state = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
                states.append(state["status"])
                if state["status"] in FINISHED:
                    return {"final": state["status"], "events": len(states)}
    except Exception as exc:  # noqa: BLE001 - reported, not raised: one socket's failure is a figure
        return {"final": None, "error": f"{type(exc).__name__}: {exc}", "events": len(states)}
    return {"final": None, "error": "timeout", "events": len(states)}


def summarise(results: list) -> dict:
    latencies = sorted(r[2] for r in results)
    errors = [r for r in results if not (isinstance(r[1], int) and r[1] < 400)]
    return {
        "requests": len(results),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(1000 * latencies[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--socket-users", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20, help="Requests per browsing user.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web", type=int, default=2, help="Web processes, as make run starts.")
    parser.add_argument("--tracks", type=int, default=40)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=10, help="Jobs the watchers share.")
    parser.add_argument("--job-seconds", type=float, default=4.0)
    parser.add_argument("--deadline", type=float, default=300, help="Seconds per phase, at most.")
    parser.add_argument("--quick", action="store_true", help="A small run to try the script.")
    args = parser.parse_args()
    if args.quick:
        args.users, args.socket_users, args.requests, args.watchers, args.jobs = 8, 2, 5, 20, 2

    var_dir = Path(tempfile.mkdtemp(prefix="musicweb-load-"))
    setup_django(var_dir)
    data = seed(args.tracks, args.socket_users)
    port = free_port()
    url, origin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    log = open(var_dir / "serve.log", "wb")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            "--port",
            str(port),
            "--web",
            str(args.web),
            "--workers",
            str(args.workers),
        ],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(url, server)
        time.sleep(5)  # let the workers warm up
        pids = children(server.pid)
        print(f"site: {url}, processes: {[(process_name(p), p) for p in pids]}")

        # Warm-up: pages once, and a job per worker, so that lazily built caches and the
        # engine's first buffers are not counted as growth.
        warm: list = []
        browse(url, browsing_paths(data["tracks"], 14, 0), None, warm)
        from generator.models import GenerationJob

        user, clip, _ = data["people"][0]
        warm_jobs = [
            submit_job(user, clip, args.job_seconds, seed=900 + i) for i in range(args.workers)
        ]
        deadline = time.monotonic() + args.deadline
        while (
            time.monotonic() < deadline
            and GenerationJob.objects.filter(
                pk__in=[j.pk for j in warm_jobs], status__in=["queued", "running"]
            ).exists()
        ):
            time.sleep(0.5)
        rss_before = {pid: rss_mb(pid) for pid in pids}

        # Phase 1: browsing under load, with job sockets and working workers.
        jobs = []
        for i, (user, clip, _cookie) in enumerate(data["people"]):
            jobs.append(submit_job(user, clip, args.job_seconds, seed=i))
        results: list = []
        threads = []
        socket_results: list = []

        def socket_thread(job, cookie):
            ws_url = url.replace("http", "ws") + f"/ws/jobs/{job.uid}/"
            socket_results.append(asyncio.run(watch(ws_url, cookie, origin, args.deadline)))

        for (_user, _clip, cookie), job in zip(data["people"], jobs, strict=True):
            thread = threading.Thread(target=socket_thread, args=(job, cookie))
            thread.start()
            threads.append(thread)
        started = time.monotonic()
        browsers = []
        for i in range(args.users):
            cookie = data["people"][i][2] if i < len(data["people"]) else None
            thread = threading.Thread(
                target=browse,
                args=(url, browsing_paths(data["tracks"], args.requests, i), cookie, results),
            )
            thread.start()
            browsers.append(thread)
        for thread in browsers:
            thread.join(args.deadline)
        browse_wall = time.monotonic() - started
        for thread in threads:
            thread.join(args.deadline)
        jobs_wall = time.monotonic() - started
        rss_after = {pid: rss_mb(pid) for pid in pids}
        summary = summarise(results)
        print(
            f"\nphase 1: {args.users} users x {args.requests} requests in {browse_wall:.1f} s "
            f"({summary['requests'] / browse_wall:.1f} req/s), {args.socket_users} job sockets, "
            f"{args.workers} workers"
        )
        print(f"  errors: {summary['errors']} {summary['error_samples'] or ''}")
        print(
            f"  page latency: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
            f"max {summary['max_ms']} ms"
        )
        finals = [r["final"] for r in socket_results]
        print(
            f"  job sockets: {finals.count('done')} of {len(finals)} got 'done' ({jobs_wall:.1f} s)"
        )
        for pid in pids:
            print(
                f"  RSS {process_name(pid)} {pid}: {rss_before[pid]:.0f} MB -> "
                f"{rss_after[pid]:.0f} MB ({rss_after[pid] - rss_before[pid]:+.0f} MB)"
            )

        # Phase 2: many sockets watching a few jobs at once.
        from django.contrib.auth import get_user_model

        user, clip, _ = data["people"][0]
        watched = [submit_job(user, clip, args.job_seconds, seed=100 + i) for i in range(args.jobs)]

        async def all_watchers():
            tasks = [
                watch(
                    url.replace("http", "ws") + f"/ws/jobs/{watched[i % len(watched)].uid}/",
                    data["staff_cookie"],
                    origin,
                    args.deadline,
                )
                for i in range(args.watchers)
            ]
            return await asyncio.gather(*tasks)

        get_user_model()  # the ORM stays usable for the checks below
        started = time.monotonic()
        outcomes = asyncio.run(all_watchers())
        wall = time.monotonic() - started
        got = sum(1 for o in outcomes if o["final"] in FINISHED)
        errors = [o.get("error") for o in outcomes if o["final"] is None]
        print(
            f"\nphase 2: {args.watchers} sockets on {args.jobs} jobs: {got}/{args.watchers} got "
            f"the final event in {wall:.1f} s; "
            f"events per socket: median {statistics.median(o['events'] for o in outcomes)}"
        )
        if errors:
            print(f"  failures: {errors[:5]}")
        rss_end = {pid: rss_mb(pid) for pid in pids}
        for pid in pids:
            print(f"  RSS {process_name(pid)} {pid} after phase 2: {rss_end[pid]:.0f} MB")
        ok = summary["errors"] == 0 and got == args.watchers and finals.count(None) == 0
        print("\nresult:", "OK" if ok else "PROBLEMS")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if os.environ.get("KEEP_LOAD_DIR"):
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
