"""Offline quality report: ``manage.py evaluate --reference PATHS [--generated DIR]``."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Score generated audio against real recordings (Fréchet and kernel distances with the "
        "real-vs-real floor, source agreement, vocoder error, novelty) and write a JSON report."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reference",
            nargs="+",
            required=True,
            help="corpus dirs (held-out pieces are used), folders or audio files",
        )
        parser.add_argument(
            "--generated",
            default=None,
            help="a folder of generated audio to score (else the modes generate)",
        )
        parser.add_argument(
            "--modes", default="remix,continue", help="modes to generate from the reference clips"
        )
        parser.add_argument("--seconds", type=float, default=10.0, help="reference clip length")
        parser.add_argument("--limit", type=int, default=None, help="at most N reference clips")
        parser.add_argument("--steps", type=int, default=None)
        parser.add_argument("--strength", type=float, default=0.5)
        parser.add_argument("--model", default=None, help="U-Net checkpoint dir (default: shipped)")
        parser.add_argument(
            "--tagger", default=None, help="tagger checkpoint dir (default: shipped)"
        )
        parser.add_argument(
            "--train",
            nargs="*",
            default=None,
            help="training corpus, for the novelty (near-copy) check",
        )
        parser.add_argument(
            "--aisfx",
            action="store_true",
            help="also score with aiSFX's embedding (converted once from its wheel to var/aisfx)",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=None, help="write the JSON report here too")

    def handle(self, *args, **opts):
        import numpy as np

        from generator.engine import audio, checkpoints, evaluation, modes
        from generator.engine.errors import EngineError

        logging.basicConfig(level=logging.INFO if opts["verbosity"] > 1 else logging.WARNING)
        started = time.monotonic()
        try:
            tagger = checkpoints.cached(opts["tagger"]) if opts["tagger"] else None
            reference, names = evaluation.reference_clips(
                opts["reference"], opts["seconds"], opts["limit"]
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if len(reference) < 2:
            raise CommandError("The evaluation needs at least two reference clips of music.")
        generated: dict[str, list[np.ndarray]] = {}
        sources: dict[str, list[np.ndarray]] = {}
        if opts["generated"]:
            folder = Path(opts["generated"])
            files = sorted(
                f
                for f in folder.rglob("*")
                if f.suffix.lower() in {".wav", ".flac", ".ogg", ".mp3"}
            )
            if not files:
                raise CommandError(f"No audio files in {folder}.")
            generated["generated"] = [audio.load(f) for f in files]
        else:
            model = (
                checkpoints.cached(opts["model"]) if opts["model"] else checkpoints.default("unet")
            )
            for mode in [m.strip() for m in opts["modes"].split(",") if m.strip()]:
                outs, srcs = [], []
                for i, clip in enumerate(reference):
                    seconds = len(clip) / audio.SAMPLE_RATE
                    params = modes.Params(
                        seconds=seconds,
                        seed=opts["seed"] + i,
                        strength=opts["strength"],
                        steps=opts["steps"],
                    )
                    try:
                        if mode == "continue":
                            # Continue the first half; score the invented second half.
                            half = len(clip) // 2
                            out = modes.generate(mode, [clip[:half]], params, model=model)[half:]
                            src = clip[:half]
                        elif mode == "interpolate":
                            other = reference[(i + 1) % len(reference)]
                            out = modes.generate(mode, [clip, other], params, model=model)
                            src = clip
                        elif mode == "dream":
                            out = modes.generate(mode, [], params, model=model)
                            src = clip
                        else:
                            out = modes.generate(mode, [clip], params, model=model)
                            src = clip
                    except EngineError as exc:
                        raise CommandError(f"{mode}: {exc}") from exc
                    outs.append(out)
                    srcs.append(src)
                generated[mode] = outs
                if mode in ("remix", "continue", "interpolate"):
                    sources[mode] = srcs
        train_emb = evaluation.train_embeddings(opts["train"], tagger) if opts["train"] else None
        aisfx = None
        if opts["aisfx"]:
            try:
                if not (evaluation.AISFX_DIR / checkpoints.CONFIG).exists():
                    evaluation.convert_aisfx()
                aisfx = checkpoints.cached(evaluation.AISFX_DIR)
            except (OSError, checkpoints.CheckpointError) as exc:
                self.stderr.write(f"aiSFX embedding skipped: {exc}")
        report = evaluation.report(
            reference,
            generated=generated,
            sources=sources,
            train_emb=train_emb,
            tagger=tagger,
            aisfx=aisfx,
            seed=opts["seed"],
        )
        report["reference"] = names
        report["settings"] = {k: opts[k] for k in ("seconds", "steps", "strength", "seed", "modes")}
        report["seconds_taken"] = round(time.monotonic() - started, 1)
        text = json.dumps(report, indent=2)
        if opts["out"]:
            Path(opts["out"]).write_text(text + "\n")
        self.stdout.write(text)
