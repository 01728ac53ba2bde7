"""``manage.py generate``: run any generation mode from the command line, no web needed.

Prints one JSON line (mode, seed, seconds, wall time, real-time factor, out
path). Bad input ends with a one-line CommandError and a non-zero exit, and
never leaves an output file: audio goes to a temporary file in the target
folder and is renamed into place only when complete.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Generate audio with one of the engine's modes and write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mode", required=True, help="variation, style, or a trained mode")
        parser.add_argument("--clip", type=Path, help="input clip (any format libsndfile reads)")
        parser.add_argument("--clip2", type=Path, help="second clip (style: the texture source)")
        parser.add_argument("--seconds", type=float, required=True, help="output duration")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--strength", type=float, default=0.5, help="0..1")
        parser.add_argument("--steps", type=int, default=None, help="optimiser/sampler steps")
        parser.add_argument("--model", type=Path, default=None, help="checkpoint folder")
        parser.add_argument(
            "--style", action="append", default=[], help="dream/continue: a style label (repeat)"
        )
        parser.add_argument("--guidance", type=float, default=2.0, help="style guidance, 0..10")
        parser.add_argument("--tempo", type=float, default=None, help="dream: beats a minute")
        parser.add_argument(
            "--start", type=float, default=None, help="continue: from here (s); replace: span start"
        )
        parser.add_argument("--end", type=float, default=None, help="replace: end of the span (s)")
        parser.add_argument("--out", type=Path, required=True, help="output file")
        parser.add_argument(
            "--format", choices=["wav", "flac", "ogg", "mp3"], help="default: the --out suffix"
        )

    def handle(self, *args, **opts) -> None:
        # The engine (torch) is imported here, not at module level, so that
        # listing commands or starting the web process stays light.
        from generator.engine import audio, modes
        from generator.engine.errors import EngineError

        out: Path = opts["out"]
        fmt = opts["format"] or out.suffix.lstrip(".").lower()
        if fmt not in audio.ENCODINGS:
            raise CommandError(
                f"Cannot tell the output format from {out.name!r}; "
                f"use --format with one of {', '.join(audio.ENCODINGS)}."
            )
        if not out.parent.is_dir():
            raise CommandError(f"The output folder {str(out.parent)!r} does not exist.")
        mode = modes.MODES.get(opts["mode"])
        if mode is None:
            known = ", ".join(sorted(modes.MODES))
            raise CommandError(f"There is no mode called {opts['mode']!r}; choose one of: {known}.")
        paths = [p for p in (opts["clip"], opts["clip2"]) if p is not None]
        if len(paths) != mode.clips:
            flags = ["", "--clip", "--clip and --clip2"][min(mode.clips, 2)]
            needs = f"needs {flags}" if mode.clips else "takes no clips"
            raise CommandError(f"The {mode.name} mode {needs}.")
        clips = [self._load(path, audio) for path in paths]
        params = modes.Params(
            seconds=opts["seconds"],
            seed=opts["seed"],
            strength=opts["strength"],
            steps=opts["steps"],
            styles=tuple(opts["style"]),
            guidance=opts["guidance"],
            tempo=opts["tempo"],
            start=opts["start"],
            end=opts["end"],
        )
        start = time.perf_counter()
        try:
            samples = modes.generate(mode.name, clips, params, model=opts["model"])
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        wall = time.perf_counter() - start
        self._write_atomically(out, audio.encode(samples, fmt))
        record = {
            "mode": mode.name,
            "seed": params.seed,
            "seconds": round(samples.shape[-1] / audio.SAMPLE_RATE, 3),
            "channels": 1 if samples.ndim == 1 else samples.shape[0],
            "wall_s": round(wall, 3),
            "rtf": round(samples.shape[-1] / audio.SAMPLE_RATE / wall, 3),
            "out": str(out),
        }
        self.stdout.write(json.dumps(record))

    @staticmethod
    def _load(path: Path, audio):
        if not path.is_file():
            raise CommandError(f"No such file: {str(path)!r}.")
        try:
            return audio.load(path, stereo=True)
        except audio.AudioError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc

    @staticmethod
    def _write_atomically(out: Path, data: bytes) -> None:
        handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        try:
            with os.fdopen(handle, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the result is an ordinary file
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
