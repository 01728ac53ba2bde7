"""Run the whole embedded site, supervised: web processes and job workers, as one command.

`make run` uses this so a newcomer gets a working site with one command; at
scale the same processes run separately (see Procfile and docs/deploy.md).

supervisord (Supervisor, a well-kept process manager) runs everything: it binds
the port once and hands that one socket to each of the --web uvicorn processes
([fcgi-program]), runs --workers job workers beside them, restarts any child
that dies (a crashing start is retried with a growing delay) while the others
keep serving, and on SIGTERM or Ctrl-C stops them all. This command checks
the port, writes supervisord's configuration and becomes supervisord (exec), so
signals reach the manager directly and no process is left behind. A port in
use (a second `make run`, say) is an error: nothing shares it silently.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Common to every child: restart it whenever it exits; a child that dies within
# startsecs of starting failed to start and is retried after 1, 2, 3... seconds.
CHILD = """\
directory={directory}
autostart=true
autorestart=true
startsecs=3
startretries=1000
stopsignal=TERM
stopwaitsecs=10
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
environment=PYTHONUNBUFFERED="1"
"""


def check_port_free(host: str, port: int) -> None:
    """Raise CommandError if the address is taken; no SO_REUSEPORT, as supervisord binds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use (is musicweb already running?). "
                    "Stop the other server, or choose another port with --port (PORT= for make)."
                ) from None
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None


def supervisor_config(host: str, port: int, web: int, workers: int, run_dir: Path) -> str:
    """supervisord's configuration for web processes on one socket and job workers."""

    def quoted(value: object) -> str:
        return str(value).replace("%", "%%")  # supervisord expands %(name)s in values

    python = quoted(sys.executable)
    child = CHILD.format(directory=quoted(settings.BASE_DIR))
    address = f"[{host}]" if ":" in host else host
    sections = [
        "[supervisord]\n"
        "nodaemon=true\n"
        "logfile=/dev/null\n"  # in the foreground supervisord also logs to standard output
        "logfile_maxbytes=0\n"
        f"pidfile={quoted(run_dir / f'supervisord-{port}.pid')}\n"
        "loglevel=info\n",
        f"[fcgi-program:web]\n"
        f"socket=tcp://{address}:{port}\n"
        f"command={python} -m musicweb.webserver --fd 0\n"
        f"process_name=web-%(process_num)d\n"
        f"numprocs={web}\n" + child,
    ]
    if workers:
        sections.append(
            f"[program:worker]\n"
            f"command={python} manage.py worker\n"
            f"process_name=worker-%(process_num)d\n"
            f"numprocs={workers}\n" + child
        )
    return "\n".join(sections)


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets and run job workers, all supervised by supervisord."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web", type=int, default=1, help="Web (uvicorn) processes.")
        parser.add_argument(
            "--workers", type=int, default=1, help="Job worker processes (0 for none)."
        )

    def handle(self, *args, host: str, port: int, web: int, workers: int, **options) -> None:
        if web < 1 or workers < 0:
            raise CommandError("--web must be at least 1 and --workers at least 0.")
        check_port_free(host, port)
        run_dir = Path(settings.VAR_DIR) / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        config = run_dir / f"supervisord-{port}.conf"
        config.write_text(supervisor_config(host, port, web, workers, run_dir))
        self.stdout.write(
            f"musicweb is at http://{host}:{port}/ with {web} web process(es) and "
            f"{workers} worker(s), supervised; Ctrl-C stops it."
        )
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(  # noqa: S606 - becomes supervisord; the arguments are ours, no shell
            sys.executable,
            [sys.executable, "-m", "supervisor.supervisord", "--nodaemon", "-c", str(config)],
        )
