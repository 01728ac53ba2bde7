"""`manage.py serve`, which `make run` starts: supervised web processes on one port, and workers.

The fault-injection test kills a web process and a worker with SIGKILL while
jobs run and requests flow, and checks that the site keeps answering, that
both are replaced, and that every job finishes exactly once.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from generator.models import GenerationJob
from musicweb.gallery.models import Track
from tests.conftest import REPO
from tests.factories import make_clip, make_job
from tests.stack import Stack, free_port

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
FINISHED = {"done", "failed", "cancelled"}


class Serve:
    """`manage.py serve` as a child process, with its log and its supervised children."""

    def __init__(self, tmp_path: Path, web: int, workers: int, **env: str) -> None:
        self.env = Stack(**env).env  # the test databases, media folder and plain HTTP
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "serve.log"
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "serve",
                    *("--port", str(self.port), "--web", str(web), "--workers", str(workers)),
                ],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def children(self, kind: str) -> list[int]:
        """Pids of the running children of one kind: 'web' or 'worker'."""
        marker = b"musicweb.webserver" if kind == "web" else b"worker"
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                try:
                    if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                        found.append(int(pid))
                except OSError:
                    pass  # it ended meanwhile
        return found

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
            return json.loads(response.read())

    def wait_ready(self, workers: int, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        health: dict = {}
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                health = self.health()
                if health.get("workers", 0) >= workers:
                    return health
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the site did not come up: {health}\n{self.log()}")

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=60)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_it_serves_from_two_web_processes_with_a_worker_and_stops_them_all(tmp_path):
    stale = Path(settings.FILE_UPLOAD_TEMP_DIR).parent / "999999999-1"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "half-an-upload.upload").write_bytes(b"x" * 1000)
    serve = Serve(tmp_path, web=2, workers=1)
    try:
        health = serve.wait_ready(workers=1)
        assert health["status"] == "ok" and health["workers"] == 1, serve.log()
        assert serve.log().count("Started server process") == 2
        children = serve.children("web") + serve.children("worker")
        assert len(children) == 3
        assert not stale.exists(), "a dead process's upload files were left behind"
    finally:
        code = serve.stop()
    assert code == 0, serve.log()
    assert not [pid for pid in children if _alive(pid)], "SIGTERM left children running"


def test_it_refuses_a_port_in_use_instead_of_sharing_it(tmp_path):
    with socket.socket() as taken:
        # Even a socket that offers to share the port (SO_REUSEPORT) is not shared.
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "0"],
            cwd=REPO,
            env=Stack().env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "supervisord" not in result.stdout  # nothing was started


def test_it_refuses_a_site_with_no_web_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "serve", "--port", str(free_port()), "--web", "0"],
        cwd=REPO,
        env=Stack().env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "--web must be at least 1" in result.stderr


def _keep_asking(url: str, stop: threading.Event, results: list) -> None:
    """Request pages back to back; record (started, finished, ok, path and outcome) for each."""
    paths = ["/healthz", "/api/tracks/", "/api/tracks/?sort=top"]  # pages need collectstatic
    index = 0
    while not stop.is_set():
        started = time.monotonic()
        path = paths[index % 3]
        try:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                response.read()
                outcome = response.status
        except urllib.error.HTTPError as exc:
            outcome = exc.code
        except OSError as exc:
            outcome = repr(exc)
        results.append((started, time.monotonic(), outcome == 200, path, outcome))
        index += 1
        time.sleep(0.05)


def _wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_it_survives_a_killed_web_process_and_a_killed_worker_under_load(alice, bob, tmp_path):
    serve = Serve(tmp_path, web=2, workers=2, JOB_LEASE_SECONDS="6", API_ANON_RATE="100000/min")
    stop = threading.Event()
    results: list = []
    try:
        serve.wait_ready(workers=2)
        clips = {user: make_clip(user) for user in (alice, bob)}
        jobs = [make_job(user, clips[user], seconds=8, seed=i) for i in range(2) for user in clips]
        asker = threading.Thread(target=_keep_asking, args=(serve.url, stop, results), daemon=True)
        asker.start()

        workers = serve.children("worker")
        running = _wait_until(
            lambda: GenerationJob.objects.filter(
                status="running", progress__gt=0.05, worker__regex=rf":({workers[0]}|{workers[1]})$"
            ).first(),
            timeout=240,
            what="a worker to be part-way through a job:\n" + serve.log(),
        )
        victim_worker = int(running.worker.rsplit(":", 1)[1])
        victim_web = serve.children("web")[0]
        killed_at = time.monotonic()
        for pid in (victim_web, victim_worker):
            subprocess.run(["kill", "-KILL", str(pid)], check=True)

        new_web = _wait_until(
            lambda: set(serve.children("web")) - {victim_web}, timeout=30, what="a new web process"
        )
        web_back = time.monotonic() - killed_at
        _wait_until(
            lambda: set(serve.children("worker")) - set(workers), timeout=30, what="a new worker"
        )
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            rows = list(GenerationJob.objects.filter(pk__in=[j.pk for j in jobs]))
            if all(row.status in FINISHED for row in rows):
                break
            time.sleep(0.5)
        stop.set()
        asker.join(timeout=60)

        # The site answered again within 5 s of the kills, and never failed after that.
        answered = [done for started, done, ok, *_ in results if ok and started >= killed_at]
        assert answered and answered[0] - killed_at < 5, results[-20:]
        late_failures = [r for r in results if not r[2] and r[0] >= killed_at + 5]
        assert not late_failures, late_failures
        assert len(new_web) == 1 and web_back < 5, (new_web, web_back)

        # Every job finished, each exactly once; the killed one ran a second time.
        assert {row.status for row in rows} == {"done"}, [(r.status, r.error) for r in rows]
        assert Track.objects.count() == len(jobs)
        victim = next(row for row in rows if row.pk == running.pk)
        assert victim.attempts == 2 and not victim.worker.endswith(f":{victim_worker}")

        # Live updates still reach a socket through the replaced web processes.
        ws_url = serve.url.replace("http", "ws") + f"/ws/jobs/{victim.uid}/"
        cookie = _session_cookie(alice if victim.owner == alice else bob)
        with connect(ws_url, additional_headers={"Cookie": cookie, "Origin": serve.url}) as ws:
            assert json.loads(ws.recv(timeout=30))["status"] == "done"
            ws.send(json.dumps({"type": "refresh", "padding": "x" * 100_000}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=30)
            assert closed.value.rcvd.code == 1009  # a message too big for the site's sockets
        assert serve.wait_ready(workers=2)["workers"] >= 2
    finally:
        stop.set()
        code = serve.stop()
    assert code == 0, serve.log()


def _session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
