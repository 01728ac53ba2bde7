"""Memory of a web process under large request bodies: flat, or grown by what clients send.

Starts the site the way `make run` does (`manage.py serve --web 1 --workers 0`: supervisord
and one uvicorn web process) in a fresh temporary VAR_DIR on a free loopback port, or with
--daphne one daphne process on the same application, for comparison. Then, one after another:

1. an anonymous 300 MB POST to /healthz, with Content-Length;
2. the same, chunked (no Content-Length);
3. a 55 MB upload to /api/clips/, signed in (the limit is MAX_UPLOAD_MB, 50);
4. the same, chunked;
5. a 45 MB upload within the limit (not audio: read, spooled to disk, refused by the decoder).

For each: the answer, how much the client had sent when it came, the time, and the web
process's resident memory (RSS) before and after and its peak (VmHWM) so far. A raw socket
client watches for the answer while it sends, as a browser does.
Run: .venv/bin/python benchmarks/bench_bodies.py [--daphne]
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_load import REPO, children, free_port, rss_mb, setup_django, wait_healthy

MB = 1024 * 1024
BLOCK = 64 * 1024
BOUNDARY = "benchbodies"


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _answer(sock: socket.socket, timeout: float) -> str:
    sock.settimeout(timeout)
    try:
        head = sock.recv(4096)
    except (ConnectionResetError, TimeoutError) as exc:
        return type(exc).__name__
    return head.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"


def post(port: int, path: str, size: int, chunked: bool, headers: dict[str, str]) -> dict:
    """Send a body of size bytes; stop as soon as an answer comes. Returns what happened."""
    sock = socket.create_connection(("127.0.0.1", port))
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)}
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in {**headers, **framing}.items()]
    started = time.perf_counter()
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    multipart = headers.get("Content-Type", "").startswith("multipart/")
    prefix = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        if multipart
        else b""
    )
    suffix = f"\r\n--{BOUNDARY}--\r\n".encode() if multipart else b""
    sent, answer = 0, None
    block = bytes(BLOCK)
    try:
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                answer = _answer(sock, 5)
                break
            data = (
                prefix if sent == 0 and prefix else block[: min(BLOCK, size - sent - len(suffix))]
            )
            if sent + len(data) + len(suffix) >= size:
                data += suffix
            sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            sent += len(data)
        if answer is None:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
            answer = _answer(sock, 300)
    except (BrokenPipeError, ConnectionResetError) as exc:
        answer = answer or _answer(sock, 5) or type(exc).__name__
    finally:
        sock.close()
    return {"answer": answer, "sent_mb": sent / MB, "seconds": time.perf_counter() - started}


def start(args, port: int, log) -> tuple[subprocess.Popen, int]:
    if args.daphne:
        command = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "musicweb.asgi:application"]
    else:
        command = ["manage.py", "serve", "--port", str(port), "--web", "1", "--workers", "0"]
    server = subprocess.Popen(
        [sys.executable, *command], cwd=REPO, env=os.environ.copy(), stdout=log, stderr=log
    )
    wait_healthy(f"http://127.0.0.1:{port}", server)
    return server, server.pid if args.daphne else children(server.pid)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daphne", action="store_true", help="Serve with daphne instead.")
    parser.add_argument("--big-mb", type=int, default=300)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="musicweb-bodies-"))
    setup_django(var_dir)
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("uploader", password="pw-bodies-1234")  # noqa: S106
    token = Token.objects.create(user=user).key
    upload = {
        "Authorization": f"Token {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    port = free_port()
    log = open(var_dir / "server.log", "wb")  # noqa: SIM115 - closed at the end
    server, pid = start(args, port, log)
    cases = [
        (f"anonymous {args.big_mb} MB POST /healthz", "/healthz", args.big_mb, False, {}),
        (f"anonymous {args.big_mb} MB POST /healthz, chunked", "/healthz", args.big_mb, True, {}),
        ("55 MB upload /api/clips/", "/api/clips/", 55, False, upload),
        ("55 MB upload /api/clips/, chunked", "/api/clips/", 55, True, upload),
        ("45 MB upload /api/clips/ (within the limit)", "/api/clips/", 45, False, upload),
    ]
    try:
        post(port, "/healthz", 1000, False, {})  # first request: lazy imports, not the bodies
        time.sleep(1)
        start_rss = rss_mb(pid)
        print(f"server: {'daphne' if args.daphne else 'manage.py serve (uvicorn)'}, pid {pid}")
        print(f"web process RSS at rest: {start_rss:.0f} MB, peak so far {peak_mb(pid):.0f} MB\n")
        print("| request | answer | sent (MB) | time (s) | RSS before -> after (MB) | peak (MB) |")
        print("|---|---|---|---|---|---|")
        for name, path, megabytes, chunked, headers in cases:
            before = rss_mb(pid)
            outcome = post(port, path, megabytes * MB, chunked, headers)
            time.sleep(1)
            after = rss_mb(pid)
            print(
                f"| {name} | {outcome['answer']} | {outcome['sent_mb']:.1f} | "
                f"{outcome['seconds']:.2f} | {before:.0f} -> {after:.0f} ({after - before:+.0f}) | "
                f"{peak_mb(pid):.0f} |",
                flush=True,
            )
        end_rss = rss_mb(pid)
        print(
            f"\nweb process RSS: {start_rss:.0f} MB at rest -> {end_rss:.0f} MB after all "
            f"({end_rss - start_rss:+.0f} MB, ratio {end_rss / start_rss:.2f}); peak "
            f"{peak_mb(pid):.0f} MB ({peak_mb(pid) - start_rss:+.0f} MB over rest)"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


if __name__ == "__main__":
    main()
