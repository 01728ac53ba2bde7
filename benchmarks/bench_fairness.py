"""Measure queue fairness: how long one account's long jobs make another's short job wait.

One real worker. Alice queues several long variations, then Bob queues one short
one. Prints Bob's wait (queued to started), each of Alice's run times, and the wait
first-come-first-served would have given him (all of Alice's jobs).

    .venv/bin/python benchmarks/bench_fairness.py [--scaleout] [--long 3] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_jobs import configure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaleout", action="store_true", help="PostgreSQL + Redis")
    parser.add_argument("--long", type=int, default=3, help="Alice's jobs")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of Alice's jobs")
    args = parser.parse_args()
    configure(args.scaleout)

    from django.conf import settings

    from generator.models import GenerationJob
    from tests.factories import make_clip, make_job, make_user
    from tests.stack import Stack

    settings.MAX_ACTIVE_JOBS = args.long
    alice, bob = make_user("alice"), make_user("bob")
    alices_clip = make_clip(alice)
    bobs_clip = make_clip(bob)
    stack = Stack()
    try:
        stack.start_workers(1)
        time.sleep(8)  # let the worker import torch and warm up
        alices = [
            make_job(alice, alices_clip, seconds=args.seconds, seed=i) for i in range(args.long)
        ]
        time.sleep(1)  # Bob comes a little later, while Alice's first job runs
        bobs = make_job(bob, bobs_clip, seconds=2)
        jobs = [*alices, bobs]
        while GenerationJob.objects.filter(pk__in=[j.pk for j in jobs], finished=None).exists():
            time.sleep(0.5)
    finally:
        stack.stop()
    rows = {row.pk: row for row in GenerationJob.objects.filter(pk__in=[j.pk for j in jobs])}
    alice_runs = [(rows[j.pk].finished - rows[j.pk].started).total_seconds() for j in alices]
    bob = rows[bobs.pk]
    print(
        json.dumps(
            {
                "alice_jobs": args.long,
                "alice_seconds_each": args.seconds,
                "alice_run_s": [round(s, 1) for s in alice_runs],
                "bob_wait_s": round((bob.started - bob.created).total_seconds(), 1),
                "bob_run_s": round((bob.finished - bob.started).total_seconds(), 1),
                "fifo_wait_estimate_s": round(sum(alice_runs) - 1, 1),
                "order": [
                    rows[pk].owner.username for pk in sorted(rows, key=lambda k: rows[k].started)
                ],
                "statuses": sorted({row.status for row in rows.values()}),
            }
        )
    )


if __name__ == "__main__":
    main()
