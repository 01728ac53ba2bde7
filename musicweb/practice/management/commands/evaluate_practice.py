"""Measure the practice-piece writer: difficulty controls, range, copying, style."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Write N pieces per difficulty level with the shipped writer and print the table."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--per-level", type=int, default=50)
        parser.add_argument("--bars", type=int, default=16)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--cache", default="var/practice_melodies.npz", help="the corpus train_practice read"
        )

    def handle(self, *args, **opts) -> None:
        import torch

        from generator.engine import checkpoints, practice
        from generator.engine.practice import evaluate, rolls

        torch.set_num_threads(1)
        if opts["per_level"] < 1:
            raise CommandError("--per-level must be at least 1.")
        cache = Path(opts["cache"])
        if cache.exists():
            corpus = rolls.load(cache)
        else:
            self.stderr.write("No corpus cache: reading music21's corpus (minutes).")
            corpus = rolls.extract()
        try:
            writer = practice.load("melody_cnn")
            classifier = practice.load("style_cnn")
        except checkpoints.CheckpointError as exc:
            raise CommandError(str(exc)) from None
        rows = evaluate.evaluate(
            writer.model, classifier.model, corpus, opts["per_level"], opts["bars"], opts["seed"]
        )
        self.stdout.write(f"writer {writer.version}, classifier {classifier.version}, "
                          f"corpus of {len(corpus)} melodies\n")  # fmt: skip
        self.stdout.write(evaluate.markdown(rows))
