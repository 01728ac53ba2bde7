"""``manage.py generate``: run any generation mode from the command line, no web needed.

Its options are the recipe's settings (generator.engine.contract.RECIPE), with
the same defaults and limits as the Generate form and the API; clips are
audio files and the model a checkpoint folder. Prints one JSON line (mode,
seed, seconds, wall time, real-time factor, out path). Bad input ends with a
one-line CommandError and a non-zero exit, and never leaves an output file:
audio goes to a temporary file in the target folder and is renamed into place
only when complete.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.engine.catalog import MODE_INFO
from generator.engine.contract import PARAM_NAMES, RANDOM, RECIPE, Params, Setting, default_of

# What a clip or a model is on the command line, where the site picks rows instead.
_CLI_TYPES = {
    "clip": Path,
    "model": Path,
    "float": float,
    "int": int,
    "mode": str,
    "text": str,
    "labels": str,
}
_CLI_HELP = {
    "mode": f"one of: {', '.join(MODE_INFO)}",
    "clip": "an audio file (any format libsndfile reads)",
    "model": "a checkpoint folder; empty for the mode's default",
}


def cli_help(setting: Setting) -> str:
    """The option's help: the recipe's words, what it takes here, and its limits."""
    words = [_CLI_HELP.get(setting.kind, setting.help)]
    if setting.kind == "clip":
        words.append(setting.help)
    if setting.minimum is not None:
        words.append(f"from {setting.minimum:g} to {setting.maximum or 'the mode limit'}")
    if setting.default not in (None, ()):
        words.append(f"default: {setting.default}")
    return "; ".join(words)


class Command(BaseCommand):
    help = "Generate audio with one of the engine's modes and write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        for setting in RECIPE:
            if setting.cli_flag is None:
                continue
            parser.add_argument(
                setting.cli_flag,
                dest=setting.name,
                type=_CLI_TYPES[setting.kind],
                required=setting.required,
                default=None if setting.default == RANDOM else setting.default,
                help=cli_help(setting),
                **({"nargs": "+"} if setting.kind == "labels" else {}),
            )
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
        paths = [opts[s.name] for s in RECIPE if s.kind == "clip" and opts[s.name] is not None]
        if len(paths) != mode.clips:
            flags = ["", "--clip", "--clip and --clip2"][min(mode.clips, 2)]
            needs = f"needs {flags}" if mode.clips else "takes no clips"
            raise CommandError(f"The {mode.name} mode {needs}.")
        clips = [self._load(path, audio) for path in paths]
        params = Params(
            **{
                name: opts[name] if opts[name] is not None else default_of(name)
                for name in PARAM_NAMES
            }
        )
        start = time.perf_counter()
        try:
            samples = modes.generate(mode.name, clips, params, model=opts["model_version"])
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
