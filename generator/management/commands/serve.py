"""Run the whole embedded site: the daphne web server plus job workers, as one command.

`make run` uses this so a newcomer gets a working site with one command; at
scale the same processes run separately (see Procfile and docs/deploy.md).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management import get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with daphne and run job workers beside it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="Job worker processes (0 for none)."
        )

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        python = sys.executable
        worker_command = (
            ["worker"] if "worker" in get_commands() else ["db_worker", "--interval", "0.2"]
        )
        children = [
            subprocess.Popen([python, "manage.py", *worker_command]) for _ in range(max(0, workers))
        ]
        children.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "daphne",
                    "--bind",
                    host,
                    "--port",
                    str(port),
                    "musicweb.asgi:application",
                ]
            )
        )
        self.stdout.write(
            f"musicweb is at http://{host}:{port}/ with {workers} worker(s); Ctrl-C stops it."
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
        if exit_code:
            sys.exit(exit_code)
