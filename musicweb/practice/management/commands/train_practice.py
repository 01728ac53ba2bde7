"""Train the practice-piece melody writer and style classifier on music21's corpus."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Read music21's corpus into rolls, train the melody CNN and style CNN, save checkpoints."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--out", default="generator/weights/practice", help="checkpoint parent folder"
        )
        parser.add_argument(
            "--cache", default="var/practice_melodies.npz", help="parsed corpus cache"
        )
        parser.add_argument("--writer-seconds", type=float, default=1800.0)
        parser.add_argument("--classifier-seconds", type=float, default=300.0)
        parser.add_argument("--chorale-files", type=int, default=0, help="0 = all")
        parser.add_argument("--folk-files", type=int, default=2)
        parser.add_argument("--irish-files", type=int, default=400)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts) -> None:
        import torch

        from generator.engine.practice import rolls, train

        torch.set_num_threads(1)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        cache = Path(opts["cache"])
        if cache.exists():
            melodies = rolls.load(cache)
        else:
            melodies = []
            for style, key in (
                ("chorale", "chorale_files"),
                ("folk", "folk_files"),
                ("irish", "irish_files"),
            ):
                melodies += rolls.extract((style,), limit=opts[key] or None)
                self.stdout.write(f"{style}: {sum(m.style == style for m in melodies)} melodies")
            cache.parent.mkdir(parents=True, exist_ok=True)
            rolls.save(melodies, cache)
        if not melodies:
            raise CommandError("The corpus gave no melodies: is music21 installed with its corpus?")
        cfg = train.PracticeTrainConfig(
            writer_seconds=opts["writer_seconds"],
            classifier_seconds=opts["classifier_seconds"],
            seed=opts["seed"],
        )
        paths = train.train(melodies, opts["out"], cfg)
        for arch, path in paths.items():
            self.stdout.write(f"{arch}: {path}")
