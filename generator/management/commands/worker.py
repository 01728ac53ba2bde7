"""A job worker: django-tasks' database worker, warmed up, with a lease reaper beside it.

Warm-up (torch, the vocoder, the default models) happens once per process,
never per job. The reaper returns jobs of workers that died (kill -9) to the
queue, since the database backend alone would leave them running forever.
"""

from __future__ import annotations

import logging
import threading
import time

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

log = logging.getLogger(__name__)


def warm_up() -> None:
    from generator.engine import vocoder
    from generator.models import ModelVersion
    from generator.runner import load_model

    started = time.monotonic()
    vocoder.warm_up()
    for version in ModelVersion.objects.active().exclude(weights_path=""):
        try:
            load_model(version)
        except Exception:
            log.exception("could not load model %s", version)
    log.info("worker warm in %.1f s", time.monotonic() - started)


class Command(DBWorkerCommand):
    help = "Run generation and training jobs (warm models, lease reaper)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="default,training", interval=0.1)
        parser.add_argument(
            "--no-warm-up", action="store_true", help="Skip loading models at start."
        )

    def handle(self, *args, no_warm_up: bool = False, **options) -> None:
        from generator.reaper import reaper_loop

        self.configure_logging(options["verbosity"])
        if not no_warm_up:
            warm_up()
        stop = threading.Event()
        threading.Thread(target=reaper_loop, args=(stop,), daemon=True, name="reaper").start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
