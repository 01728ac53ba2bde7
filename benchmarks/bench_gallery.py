"""Measure the gallery page and the API list under 20 concurrent clients on loopback.

Starts the real server (`manage.py serve --workers 0`) on a free port in a
temporary VAR_DIR after migrate, collectstatic and seed_gallery, then drives
it with wrk (Debian: apt-get install -y wrk) and prints p50/p95 per URL. Without
wrk it falls back to a small asyncio HTTP/1.1 keep-alive client.

    .venv/bin/python benchmarks/bench_gallery.py --tracks 10000 --ratings 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.2f p95=%.2f p99=%.2f requests=%d errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, check=True)


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/gallery/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not come up")


def run_wrk(url: str, clients: int, seconds: int, workdir: Path) -> dict:
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    fields = dict(item.split("=") for item in line.split()[1:])
    return {k: float(v) for k, v in fields.items()} | {"rps": float(fields["requests"]) / seconds}


async def _client(host: str, port: int, path: str, stop: float, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()
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
        latencies.append((time.perf_counter() - began) * 1000)
        if b" 200 " not in status:
            errors.append(status)
    writer.close()


def run_asyncio(host: str, port: int, path: str, clients: int, seconds: int) -> dict:
    latencies: list[float] = []
    errors: list = []
    stop = time.monotonic() + seconds

    async def main():
        await asyncio.gather(
            *(_client(host, port, path, stop, latencies, errors) for _ in range(clients))
        )

    asyncio.run(main())
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10000)
    parser.add_argument("--ratings", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--client", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--web", type=int, default=1, help="daphne processes (serve --web)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-gallery-"))
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(workdir),
        "HTTPS": "0",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        # Effectively off: wrk is one address (the user rate also applies to visitors).
        "API_ANON_RATE": "100000/s",
        "API_USER_RATE": "100000/s",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "migrate", "--noinput", "-v0", "--database", "channels")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "seed_gallery", "--tracks", str(args.tracks), "--ratings", str(args.ratings))
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
    )
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        paths = [
            "/gallery/",
            "/gallery/?sort=top",
            "/gallery/?sort=trending",
            "/gallery/?q=rain&mode=variation",
            "/api/tracks/",
            "/api/tracks/?sort=top",
        ]
        print(
            f"{args.tracks} tracks, {args.ratings} ratings, {args.clients} clients, "
            f"{args.seconds} s per URL, client: {'wrk' if use_wrk else 'asyncio'}"
        )
        print(f"{'URL':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6}")
        for path in paths:
            # A short warm-up so first-request costs (imports, caches) are not measured.
            for _ in range(3):
                urllib.request.urlopen(base + path, timeout=10).read()  # noqa: S310
            if use_wrk:
                result = run_wrk(base + path, args.clients, args.seconds, workdir)
            else:
                result = run_asyncio("127.0.0.1", port, path, args.clients, args.seconds)
            print(
                f"{path:36} {result['p50']:8.1f} {result['p95']:8.1f} {result['p99']:8.1f} "
                f"{result['rps']:8.0f} {int(result['errors']):6d}"
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
