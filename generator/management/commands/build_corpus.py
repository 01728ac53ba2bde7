"""Build the training corpus: ``manage.py build_corpus [OUT] [--licence pd,cc-by] [--small]``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _names(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


class Command(BaseCommand):
    help = (
        "Build the training corpus (Debian's game music fetched with apt-get, music21 renders, "
        "the shared recordings) with a manifest of every file's licence, style and split."
    )

    def add_arguments(self, parser):
        from generator.engine import corpus, corpus_debian, corpus_renders

        parser.add_argument(
            "out", nargs="?", default=None, help="corpus directory (default: settings.CORPUS_DIR)"
        )
        parser.add_argument("--sources", default=",".join(corpus.SOURCES))
        parser.add_argument(
            "--packages",
            default=",".join(corpus_debian.DEFAULT_PACKAGES),
            help="Debian packages to take music from (fetched with apt-get, as root)",
        )
        parser.add_argument("--renders", default=",".join(corpus_renders.SETS))
        parser.add_argument(
            "--licence",
            default=None,
            help="keep only these licence families, e.g. pd,cc0,cc-by,bsd "
            f"(families: {', '.join(corpus_debian.FAMILIES)})",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="at most N files per package or render set"
        )
        parser.add_argument(
            "--max-seconds", type=float, default=240.0, help="crop renders and shared recordings"
        )
        parser.add_argument(
            "--small", action="store_true", help="a tiny corpus in seconds (2 per source, 8 s)"
        )
        parser.add_argument(
            "--offline", action="store_true", help="use only packages already in the cache"
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        from generator.engine import corpus, corpus_debian

        logging.basicConfig(level=logging.INFO if opts["verbosity"] > 1 else logging.WARNING)
        out = opts["out"] or str(settings.CORPUS_DIR)
        limit, max_seconds = opts["limit"], opts["max_seconds"]
        if opts["small"]:
            limit, max_seconds = 2, 8.0
        try:
            licences = corpus_debian.parse_families(opts["licence"]) if opts["licence"] else None
            rows = corpus.build(
                out,
                sources=_names(opts["sources"]),
                packages=_names(opts["packages"]),
                render_sets=_names(opts["renders"]),
                licences=licences,
                limit=limit,
                max_seconds=max_seconds,
                seed=opts["seed"],
                offline=opts["offline"],
                progress=self._progress if opts["verbosity"] > 1 else None,
            )
        except corpus_debian.CorpusError as exc:
            raise CommandError(str(exc)) from exc
        if not any(r.status == "ok" for r in rows):
            raise CommandError("No source was available: the corpus is empty.")
        s = corpus.summary(rows)
        hours = ", ".join(f"{k} {v:.2f} h" for k, v in s["by_split"].items())
        self.stdout.write(f"{s['files']} pieces, {s['hours']:.2f} h ({hours}) -> {out}")
        for title, key in (("style", "by_style"), ("licence", "by_family")):
            line = ", ".join(f"{k} {v:.2f} h" for k, v in s[key].items())
            self.stdout.write(f"  by {title}: {line}")
        skipped = ", ".join(f"{v} {k}" for k, v in s["not_used"].items() if v)
        if skipped:
            self.stdout.write(f"  not used: {skipped} (see the manifest's status and note)")

    def _progress(self, stage: str, fraction: float) -> None:
        self.stderr.write(f"{stage} {fraction:.0%}")
