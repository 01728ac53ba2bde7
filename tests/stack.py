"""Start the real thing for end-to-end tests: uvicorn and job workers as separate processes.

The processes share the test run's databases (SQLite files, or PostgreSQL when
DATABASE_URL is set), its media folder and its channel layer (SQLite file or
Redis), so a test can create rows with the ORM and watch real workers and a
real server act on them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connections

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Stack:
    """A web server and workers as child processes; stop() ends them all."""

    def __init__(self, **env: str) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "HTTPS": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.workers: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self.port = 0
        self.logs = Path(settings.MEDIA_ROOT).parent / "stack-logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            [sys.executable, *args], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_workers(self, count: int) -> list[subprocess.Popen]:
        for _ in range(count):
            index = len(self.workers)
            self.workers.append(self._spawn(f"worker-{index}", "manage.py", "worker"))
        return self.workers

    def start_web(self) -> str:
        self.port = free_port()
        self.web = self._spawn(
            "web",
            "-m",
            "uvicorn",
            "musicweb.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-proxy-headers",
            "--ws-max-size",
            "65536",
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the web server did not start:\n{self.log('web')}")

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def kill_worker(self, index: int) -> None:
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(timeout=10)

    def stop(self) -> None:
        processes = [p for p in [*self.workers, self.web] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
