"""Measure For you, its API and radio under 20 concurrent signed-in listeners on loopback.

Like bench_gallery.py: a temporary VAR_DIR, migrate, collectstatic, then
`seed_gallery --community` (listeners with tastes, tracks with embeddings),
then the real server (`manage.py serve --workers 0`). Each of the 20 clients is
a different seeded listener with their own session. Three figures per URL:
the first request of each listener (their picks computed, the catalog already
built), then p50/p95/p99 with all 20 clients at once for --seconds (picks
served from the listener's cache entry, as between two history changes), and
the in-process cost of one ranking with nothing cached.

    .venv/bin/python benchmarks/bench_recommend.py --tracks 10000 --ratings 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_gallery import PYTHON, REPO, free_port, manage, wait_ready

SESSIONS = """
import json, time
from django.contrib.auth import get_user_model, HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from musicweb.gallery.models import Rating, Track
from musicweb.recommend import data, ranking
users = list(get_user_model().objects.filter(ratings__isnull=False).distinct().order_by("pk")[:{n}])
keys = []
for user in users:
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    keys.append(s.session_key)
began = time.perf_counter(); catalog = data.load_catalog(); built = time.perf_counter() - began
costs = []
for user in users:
    began = time.perf_counter()
    ranking.rank(catalog, data.taste_for(user), limit=30)
    costs.append((time.perf_counter() - began) * 1000)
seed = Track.objects.published().order_by("-play_count").values_list("uid", flat=True).first()
info = {{"keys": keys, "catalog_s": built, "rank_ms": costs, "seed": str(seed)}}
print("JSON" + json.dumps(info))
"""


async def _client(port: int, path: str, cookie: str, stop: float, out: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    while time.monotonic() < stop:
        began = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        out.append((time.perf_counter() - began) * 1000)
        if b" 200 " not in status:
            errors.append(status)
    writer.close()


def load(port: int, path: str, keys: list[str], seconds: int) -> dict:
    latencies: list[float] = []
    errors: list = []
    stop = time.monotonic() + seconds

    async def main():
        await asyncio.gather(*(_client(port, path, k, stop, latencies, errors) for k in keys))

    asyncio.run(main())
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "rps": len(latencies) / seconds,
        "errors": len(errors),
    }


def first_requests(base: str, path: str, keys: list[str]) -> list[float]:
    times = []
    for key in keys:
        request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={key}"})
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            assert response.status == 200
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10000)
    parser.add_argument("--ratings", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--web", type=int, default=1, help="web processes (serve --web)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-recommend-"))
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(workdir),
        "HTTPS": "0",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "API_ANON_RATE": "100000/s",
        "API_USER_RATE": "100000/s",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "migrate", "--noinput", "-v0", "--database", "channels")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(
        env,
        "seed_gallery",
        "--community",
        "--tracks",
        str(args.tracks),
        "--ratings",
        str(args.ratings),
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SESSIONS.format(n=args.clients)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = json.loads(next(line for line in out.splitlines() if line.startswith("JSON"))[4:])
    keys = info["keys"]
    server = subprocess.Popen(
        [
            PYTHON,
            "manage.py",
            "serve",
            "--workers",
            "0",
            "--web",
            str(args.web),
            "--port",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("w"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        paths = ["/for-you/", "/api/me/recommendations/", f"/api/radio/?track={info['seed']}"]
        rank = sorted(info["rank_ms"])
        print(
            f"{args.tracks} tracks, {args.ratings} ratings, {len(keys)} signed-in clients, "
            f"{args.seconds} s per URL, {args.web} web process(es)"
        )
        print(
            f"in process: catalog built in {info['catalog_s']:.2f} s; one ranking with nothing "
            f"cached: median {statistics.median(rank):.1f} ms, max {rank[-1]:.1f} ms"
        )
        # Build the server's catalog once (one request), as a running site has it.
        first_requests(base, "/api/radio/?style=piano", keys[:1])
        print(
            f"{'URL':44} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'req/s':>7} {'err':>4}"
        )
        for path in paths:
            first = first_requests(base, path, keys)
            result = load(port, path, keys, args.seconds)
            print(
                f"{path[:44]:44} {statistics.median(first):9.1f} {result['p50']:8.1f} "
                f"{result['p95']:8.1f} {result['p99']:8.1f} {result['rps']:7.0f} "
                f"{result['errors']:4d}"
            )
    except Exception:
        for log in workdir.rglob("*.log"):
            print(log, log.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
