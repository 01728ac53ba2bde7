"""Train a network: ``manage.py train --arch unet|musicnet|tagger --data PATHS --out DIR``."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train the music network, the first diffusion U-Net or the tagger."

    def add_arguments(self, parser):
        parser.add_argument("--arch", required=True, choices=["unet", "musicnet", "tagger"])
        parser.add_argument(
            "--data", required=True, nargs="+", help="corpus directories, folders or audio files"
        )
        parser.add_argument("--steps", type=int, default=None)
        parser.add_argument("--out", required=True, help="checkpoint directory")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--lr", type=float, default=None)
        parser.add_argument("--checkpoint-every", type=int, default=None)
        parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
        parser.add_argument("--resume", action="store_true", help="go on from OUT's saved state")
        parser.add_argument(
            "--resume-from-weights",
            nargs="?",
            const="default",
            default=None,
            help="musicnet: start from a checkpoint's weights (no path: the shipped one)",
        )
        parser.add_argument(
            "--cache", default=None, help="musicnet, tagger: mel cache folder (filled as needed)"
        )
        parser.add_argument(
            "--cache-only", action="store_true", help="musicnet: analyse the corpus, do not train"
        )
        parser.add_argument(
            "--no-fill", action="store_true", help="musicnet: train on what is cached already"
        )
        parser.add_argument("--transpositions", type=int, default=1)
        parser.add_argument(
            "--window", type=int, default=None, help="musicnet, tagger: crop frames"
        )
        parser.add_argument(
            "--export-every", type=int, default=None, help="musicnet: write EMA weights every N"
        )

    def handle(self, *args, **opts):
        import torch

        logging.basicConfig(
            level=logging.INFO if opts["verbosity"] > 0 else logging.WARNING,
            format="%(asctime)s %(message)s",
        )
        if opts["threads"]:
            torch.set_num_threads(opts["threads"])
        last = [0.0]

        def progress(stage: str, fraction: float, **fields) -> None:
            now = time.monotonic()
            if now - last[0] > 10 or fraction >= 1.0:
                last[0] = now
                self.stdout.write(f"{fraction:6.1%} {stage}")

        report = progress if opts["verbosity"] > 0 else None
        if opts["arch"] == "musicnet":
            out = self._musicnet(opts, report)
        else:
            out = self._first(opts, report)
        self.stdout.write(f"saved {opts['arch']} checkpoint to {out}")

    def _musicnet(self, opts, report):
        from pathlib import Path

        from generator.engine import checkpoints, music_data, music_training, training

        cache = Path(opts["cache"] or Path(opts["out"]) / "cache")
        if opts["cache_only"]:
            items = music_data.entries(opts["data"], "train")
            val = music_data.entries(opts["data"], "validation")
            store = music_data.MelCache(cache)
            built = store.fill(val, 0, report) + store.fill(items, opts["transpositions"], report)
            self.stdout.write(f"analysed {built} files into {cache}")
            return cache
        if not opts["steps"]:
            raise CommandError("Say how many steps to train with --steps.")
        kwargs = {"transpositions": opts["transpositions"]}
        for key in ("batch_size", "lr", "checkpoint_every", "window", "export_every"):
            if opts[key] is not None:
                kwargs[key] = opts[key]
        cfg = music_training.MusicTrainConfig(steps=opts["steps"], seed=opts["seed"], **kwargs)
        start = opts["resume_from_weights"]
        if start == "default":
            start = checkpoints.default_path("musicnet")
        try:
            return music_training.train(
                cfg,
                opts["data"],
                opts["out"],
                cache_dir=cache,
                resume=opts["resume"],
                resume_from_weights=start,
                fill_cache=not opts["no_fill"],
                progress=report,
            )
        except (training.TrainingError, music_data.DataError, checkpoints.CheckpointError) as exc:
            raise CommandError(str(exc)) from exc

    def _first(self, opts, report):
        from generator.engine import training

        if not opts["steps"]:
            raise CommandError("Say how many steps to train with --steps.")
        kwargs = {"checkpoint_every": opts["checkpoint_every"] or 50}
        kwargs["batch_size"] = opts["batch_size"] or (8 if opts["arch"] == "unet" else 32)
        if opts["lr"] is not None:
            kwargs["lr"] = opts["lr"]
        if opts["window"] is not None:
            kwargs["window"] = opts["window"]
        cfg = training.TrainConfig(
            arch=opts["arch"], steps=opts["steps"], seed=opts["seed"], **kwargs
        )
        try:
            return training.train(
                cfg,
                opts["data"],
                opts["out"],
                resume=opts["resume"],
                cache_dir=opts["cache"],
                progress=report,
            )
        except training.TrainingError as exc:
            raise CommandError(str(exc)) from exc
