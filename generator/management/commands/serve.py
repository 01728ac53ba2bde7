"""Run the whole embedded site: daphne web processes plus job workers, as one command.

`make run` uses this so a newcomer gets a working site with one command; at
scale the same processes run separately (see Procfile and docs/deploy.md).
With --web N, N daphne processes each listen on their own socket bound to the
same port with SO_REUSEPORT, so the kernel spreads new connections evenly
between them (a single shared socket lets one busy process take them all).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with daphne and run job workers beside it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web", type=int, default=1, help="Web (daphne) processes.")
        parser.add_argument(
            "--workers", type=int, default=1, help="Job worker processes (0 for none)."
        )

    def handle(self, *args, host: str, port: int, web: int, workers: int, **options) -> None:
        python = sys.executable
        sockets = [listening_socket(host, port) for _ in range(max(1, web))]
        children = [
            subprocess.Popen([python, "manage.py", "worker"]) for _ in range(max(0, workers))
        ]
        children += [
            subprocess.Popen(
                [python, "-m", "daphne", "--fd", str(sock.fileno()), "musicweb.asgi:application"],
                pass_fds=[sock.fileno()],
            )
            for sock in sockets
        ]
        self.stdout.write(
            f"musicweb is at http://{host}:{port}/ with {max(1, web)} web process(es) and "
            f"{workers} worker(s); Ctrl-C stops it."
        )

        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    self.stderr.write(
                        f"process {child.args[2:4]} exited with {child.returncode}; stopping"
                    )
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.2)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for sock in sockets:
            sock.close()
        if exit_code:
            sys.exit(exit_code)
