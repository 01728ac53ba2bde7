"""Supervised processes: how long a killed web process or worker takes to come back, and how
one listening socket shared by the web processes spreads the load.

Starts the site the way `make run` does (`manage.py serve`) in a fresh temporary VAR_DIR on a
free loopback port, and measures:

1. web restart, with one web process: kill -9 it, time until supervisord has started another
   and until the site answers again (the whole outage, since no other process serves);
2. worker restart: kill -9 the worker, time until another runs and until it says it is alive
   (its heartbeat, written once it is warm and ready to claim jobs);
3. with two web processes and requests flowing from several threads: kill -9 one, count the
   requests that failed and the time until it is replaced;
4. spread: the CPU time each web process spent and the latency, for many short requests each
   on a new connection, then for 20 keep-alive connections opened at the same moment (as a
   load tool does), and the latency while one web process is stopped (SIGSTOP, as a process
   stuck in a long task); first on the one shared socket that serve uses, then with a socket
   of its own per process (SO_REUSEPORT, the previous arrangement) for comparison.

Run: .venv/bin/python benchmarks/bench_serve.py [--kills 5]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
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

from bench_load import REPO, children, free_port, setup_django, wait_healthy


def kind(pid: int) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes()
    return "web" if b"musicweb.webserver" in args else "worker"


def pids_of(server: subprocess.Popen, name: str) -> set[int]:
    found = set()
    for pid in children(server.pid):
        try:
            if kind(pid) == name:
                found.add(pid)
        except OSError:
            pass  # ended meanwhile
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def wait_for(check, timeout: float = 120, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise SystemExit("timed out")


def serve(port: int, web: int, workers: int, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            *("--port", str(port), "--web", str(web), "--workers", str(workers)),
        ],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_healthy(f"http://127.0.0.1:{port}", server)
    return server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=60)


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s, min {min(values):.2f} s, "
        f"max {max(values):.2f} s (n={len(values)})"
    )


def restart_web(port: int, kills: int, log) -> None:
    url = f"http://127.0.0.1:{port}"
    server = serve(port, 1, 0, log)
    spawned, back = [], []
    try:
        for _ in range(kills):
            (victim,) = wait_for(lambda: pids_of(server, "web"))
            wait_for(lambda: answers(url))
            time.sleep(4)  # past supervisord's startsecs, so this is a crash, not a failed start
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda victim=victim: pids_of(server, "web") - {victim})
            spawned.append(time.monotonic() - killed)
            wait_for(lambda: answers(url, timeout=0.5))
            back.append(time.monotonic() - killed)
    finally:
        stop(server)
    print(f"1. web process killed (1 web): new process started in {summary(spawned)}")
    print(f"   site answering again in {summary(back)}")


def restart_worker(port: int, kills: int, log) -> None:
    from generator.models import WorkerHeartbeat

    server = serve(port, 1, 1, log)
    spawned, ready = [], []
    try:
        for _ in range(kills):
            (victim,) = wait_for(lambda: pids_of(server, "worker"))
            wait_for(
                lambda pid=victim: WorkerHeartbeat.objects.filter(name__endswith=f":{pid}").exists()
            )
            time.sleep(4)
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            (new,) = wait_for(lambda victim=victim: pids_of(server, "worker") - {victim})
            spawned.append(time.monotonic() - killed)
            wait_for(
                lambda pid=new: WorkerHeartbeat.objects.filter(name__endswith=f":{pid}").exists(),
                step=0.05,
            )
            ready.append(time.monotonic() - killed)
    finally:
        stop(server)
    print(f"2. worker killed: new process started in {summary(spawned)}")
    print(f"   warm and taking jobs (heartbeat) in {summary(ready)}")


def in_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hammer(
    url: str, threads: int, requests: int, path: str = "/healthz", timeout: float = 30
) -> list[tuple]:
    """threads x requests GETs, each on a new connection; (started, seconds, ok) for each."""
    results: list[tuple] = []

    def run() -> None:
        for _ in range(requests):
            started = time.monotonic()
            try:
                with urllib.request.urlopen(url + path, timeout=timeout) as response:
                    response.read()
                    ok = response.status == 200
            except (OSError, urllib.error.HTTPError):
                ok = False
            results.append((started, time.monotonic() - started, ok))

    in_threads(run, threads)
    return results


def keep_alive(url: str, connections: int, requests: int, path: str) -> list[float]:
    """Connections opened at the same moment, each then used for requests in turn (as wrk does)."""
    host, port = url.removeprefix("http://").split(":")
    together = threading.Barrier(connections)
    latencies: list[float] = []

    def run() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        together.wait()
        connection.connect()
        for _ in range(requests):
            started = time.monotonic()
            connection.request("GET", path)
            connection.getresponse().read()
            latencies.append(time.monotonic() - started)
        connection.close()

    in_threads(run, connections)
    return latencies


def serve_two_web(port: int, log) -> tuple[subprocess.Popen, list[int]]:
    server = serve(port, 2, 0, log)
    try:
        wait_for(lambda: len(pids_of(server, "web")) == 2)
    except SystemExit:
        stop(server)
        raise
    return server, sorted(pids_of(server, "web"))


def kill_under_load(port: int, log) -> None:
    url = f"http://127.0.0.1:{port}"
    server, pids = serve_two_web(port, log)
    try:
        victim = pids[0]
        time.sleep(4)
        killed: list[float] = []

        def kill_soon() -> None:
            time.sleep(2)
            killed.append(time.monotonic())
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_soon)
        killer.start()
        results = hammer(url, threads=4, requests=60)
        killer.join()
        replaced = wait_for(lambda: pids_of(server, "web") - {victim}) and time.monotonic()
    finally:
        stop(server)
    failed = [r for r in results if not r[2]]
    after = [r for r in results if r[0] >= killed[0]]
    print(
        f"3. one of 2 web processes killed under load (4 threads, {len(results)} requests): "
        f"{len(failed)} failed, {len(after)} started after the kill, slowest of those "
        f"{max(r[1] for r in after):.2f} s; replaced after {replaced - killed[0]:.2f} s"
    )


def shares_and_latency(pids: list[int], load) -> str:
    """Run load(); the share of CPU time each web process spent on it, and its latency."""
    before = {pid: cpu_seconds(pid) for pid in pids}
    latencies = sorted(load())
    used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    total = sum(used.values()) or 1
    shares = ", ".join(f"{100 * used[pid] / total:.0f} %" for pid in pids)
    return (
        f"CPU shares {shares}; p50 {1000 * statistics.median(latencies):.0f} ms, "
        f"p95 {1000 * latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms"
    )


def spread(url: str, pids: list[int], label: str) -> None:
    hammer(url, threads=4, requests=5)  # warm both
    figures = shares_and_latency(
        pids, lambda: [r[1] for r in hammer(url, threads=8, requests=40, path="/api/tracks/")]
    )
    print(f"4. {label}: 320 requests from 8 threads, {figures}")
    figures = shares_and_latency(
        pids, lambda: keep_alive(url, connections=20, requests=20, path="/api/tracks/")
    )
    print(f"   20 keep-alive connections opened at once, 20 requests each: {figures}")
    stopped = pids[0]
    os.kill(stopped, signal.SIGSTOP)
    try:
        results = hammer(url, threads=2, requests=20, timeout=5)
    finally:
        os.kill(stopped, signal.SIGCONT)
    stalled = [r for r in results if r[1] > 1.0 or not r[2]]
    print(
        f"   with one process stopped: {len(stalled)} of {len(results)} requests took over 1 s "
        f"or failed (given up after 5 s); slowest {max(r[1] for r in results):.2f} s"
    )


def own_sockets(port: int, log) -> list[subprocess.Popen]:
    """Two web processes, each on its own SO_REUSEPORT socket bound to the same port."""
    processes = []
    for _ in range(2):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "musicweb.webserver", "--fd", str(sock.fileno())],
                cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                pass_fds=[sock.fileno()],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        sock.close()
    return processes


def compare_spread(port: int, log) -> None:
    url = f"http://127.0.0.1:{port}"
    server, pids = serve_two_web(port, log)
    try:
        spread(url, pids, "one shared socket (serve)")
    finally:
        stop(server)
    processes = own_sockets(port, log)
    try:
        for process in processes:
            wait_healthy(url, process)
        time.sleep(3)  # both listening, not just the first
        spread(url, [p.pid for p in processes], "a socket per process (SO_REUSEPORT)")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5, help="Kills per restart measurement.")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="musicweb-serve-"))
    setup_django(var_dir)
    os.environ["API_ANON_RATE"] = "100000/min"
    with open(var_dir / "serve.log", "wb") as log:
        restart_web(free_port(), args.kills, log)
        restart_worker(free_port(), max(2, args.kills // 2), log)
        kill_under_load(free_port(), log)
        compare_spread(free_port(), log)


if __name__ == "__main__":
    main()
