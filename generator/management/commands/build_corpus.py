"""Build the training corpus: ``manage.py build_corpus OUT [--small] [--limit N]``."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Build the training corpus (shared recordings, Wesnoth music, rendered chorales)."

    def add_arguments(self, parser):
        parser.add_argument("out", help="directory to write the corpus and manifest.json into")
        parser.add_argument("--limit", type=int, default=None, help="at most N pieces per source")
        parser.add_argument("--max-seconds", type=float, default=240.0, help="crop each piece")
        parser.add_argument(
            "--small", action="store_true", help="a tiny corpus in seconds (2 pieces a source, 8 s)"
        )
        parser.add_argument(
            "--sources", default="shared,wesnoth,chorales", help="comma-separated sources"
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        from generator.engine import corpus

        logging.basicConfig(level=logging.INFO if opts["verbosity"] > 0 else logging.WARNING)
        limit, max_seconds = opts["limit"], opts["max_seconds"]
        if opts["small"]:
            limit, max_seconds = 2, 8.0
        sources = tuple(s.strip() for s in opts["sources"].split(",") if s.strip())
        unknown = set(sources) - {"shared", "wesnoth", "chorales"}
        if unknown:
            raise CommandError(f"Unknown sources: {', '.join(sorted(unknown))}.")
        pieces = corpus.build(
            opts["out"], sources=sources, limit=limit, max_seconds=max_seconds, seed=opts["seed"]
        )
        if not pieces:
            raise CommandError("No source was available: the corpus is empty.")
        train = sum(p.seconds for p in pieces if p.split == "train")
        val = sum(p.seconds for p in pieces if p.split == "validation")
        self.stdout.write(
            f"{len(pieces)} pieces: {train / 60:.1f} min train, {val / 60:.1f} min validation "
            f"-> {opts['out']}"
        )
