"""Train a network: ``manage.py train --arch unet|tagger --data PATHS --steps N --out DIR``."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train the diffusion U-Net or the tagger from a corpus directory or audio files."

    def add_arguments(self, parser):
        parser.add_argument("--arch", required=True, choices=["unet", "tagger"])
        parser.add_argument(
            "--data", required=True, nargs="+", help="corpus directories, folders or audio files"
        )
        parser.add_argument("--steps", type=int, required=True)
        parser.add_argument("--out", required=True, help="checkpoint directory")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--lr", type=float, default=None)
        parser.add_argument("--checkpoint-every", type=int, default=50)
        parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
        parser.add_argument("--resume", action="store_true", help="go on from OUT's saved state")

    def handle(self, *args, **opts):
        import torch

        from generator.engine import training

        logging.basicConfig(level=logging.INFO if opts["verbosity"] > 0 else logging.WARNING)
        if opts["threads"]:
            torch.set_num_threads(opts["threads"])
        kwargs = {"checkpoint_every": opts["checkpoint_every"]}
        kwargs["batch_size"] = opts["batch_size"] or (8 if opts["arch"] == "unet" else 32)
        if opts["lr"] is not None:
            kwargs["lr"] = opts["lr"]
        cfg = training.TrainConfig(
            arch=opts["arch"], steps=opts["steps"], seed=opts["seed"], **kwargs
        )
        last = [0.0]

        def progress(stage: str, fraction: float, **fields) -> None:
            now = time.monotonic()
            if now - last[0] > 10 or fraction >= 1.0:
                last[0] = now
                self.stdout.write(f"{fraction:6.1%} {stage}")

        try:
            out = training.train(
                cfg,
                opts["data"],
                opts["out"],
                resume=opts["resume"],
                progress=progress if opts["verbosity"] > 0 else None,
            )
        except training.TrainingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"saved {opts['arch']} checkpoint to {out}")
