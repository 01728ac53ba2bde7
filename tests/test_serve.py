"""`manage.py serve`, which `make run` starts: web processes sharing one port, and workers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO
from tests.stack import Stack, free_port

pytestmark = [pytest.mark.django_db(transaction=True, databases="__all__"), pytest.mark.slow]


def test_it_serves_from_two_web_processes_with_a_worker(tmp_path):
    env = Stack().env  # the test databases, media folder and plain HTTP
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--port",
                str(port),
                "--web",
                "2",
                "--workers",
                "1",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        health = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    health = json.loads(response.read())
                if health.get("workers"):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert health.get("status") == "ok" and health.get("workers") == 1, log.read_text()[-3000:]
        assert log.read_text().count("Listening on TCP address") == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0, log.read_text()[-3000:]
