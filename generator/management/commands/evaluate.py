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
        parser.add_argument(
            "--styles",
            default="",
            help="dream: style labels to ask for in turn (comma-separated); scored by the tagger",
        )
        parser.add_argument("--guidance", type=float, default=2.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=None, help="write the JSON report here too")

    def handle(self, *args, **opts):
        import numpy as np

        from generator.engine import audio, checkpoints, evaluation, modes, tagging
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
        extra_figures: dict[str, dict] = {}
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
            styles = [x.strip() for x in opts["styles"].split(",") if x.strip()]
            for mode in [m.strip() for m in opts["modes"].split(",") if m.strip()]:
                outs, srcs = [], []
                # The music network serves dream and continue; remix and interpolate the U-Net.
                if model.arch == "musicnet" and mode in ("remix", "interpolate"):
                    model_for = checkpoints.default("unet")
                else:
                    model_for = model
                for i, clip in enumerate(reference):
                    seconds = len(clip) / audio.SAMPLE_RATE
                    wanted = (styles[i % len(styles)],) if styles and mode == "dream" else ()
                    params = modes.Params(
                        seconds=seconds,
                        seed=opts["seed"] + i,
                        strength=opts["strength"],
                        steps=opts["steps"],
                        styles=wanted,
                        guidance=opts["guidance"],
                    )
                    try:
                        if mode == "continue":
                            # Continue the first half; score the invented second half.
                            half = len(clip) // 2
                            out = modes.generate(mode, [clip[:half]], params, model=model_for)[
                                half:
                            ]
                            src = clip[:half]
                        elif mode == "interpolate":
                            other = reference[(i + 1) % len(reference)]
                            out = modes.generate(mode, [clip, other], params, model=model_for)
                            src = clip
                        elif mode == "dream":
                            out = modes.generate(mode, [], params, model=model_for)
                            src = clip
                        else:
                            out = modes.generate(mode, [clip], params, model=model_for)
                            src = clip
                    except EngineError as exc:
                        raise CommandError(f"{mode}: {exc}") from exc
                    outs.append(out)
                    srcs.append(src)
                generated[mode] = outs
                if mode in ("remix", "continue", "interpolate"):
                    sources[mode] = srcs
                if mode == "continue":
                    extra_figures["continue"] = {
                        "replay": round(
                            float(
                                np.mean(
                                    [
                                        evaluation.replay(o, s)
                                        for o, s in zip(outs, srcs, strict=True)
                                    ]
                                )
                            ),
                            4,
                        ),
                        "replay_real": round(
                            float(
                                np.mean(
                                    [
                                        evaluation.replay(c[len(c) // 2 :], c[: len(c) // 2])
                                        for c in reference
                                    ]
                                )
                            ),
                            4,
                        ),
                    }
                if mode == "dream" and styles:
                    asked = [styles[i % len(styles)] for i in range(len(outs))]
                    known = set(tagging.resolve(tagger).extra.get("classes", ()))
                    extra_figures["dream"] = {
                        "styles_asked": styles,
                        "style_accuracy": evaluation.style_accuracy(outs, asked, tagger)
                        if set(asked) <= known
                        else None,
                    }
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
        for mode, figures in extra_figures.items():
            report[mode].update(figures)
        report["reference"] = names
        keys = ("seconds", "steps", "strength", "seed", "modes", "styles", "guidance", "model")
        report["settings"] = {
            k: opts[k] and str(opts[k]) if k == "model" else opts[k] for k in keys
        }
        report["seconds_taken"] = round(time.monotonic() - started, 1)
        text = json.dumps(report, indent=2)
        if opts["out"]:
            Path(opts["out"]).write_text(text + "\n")
        self.stdout.write(text)
