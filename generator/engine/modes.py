"""The mode registry and the one entry point, ``generate``, that every caller goes through.

Every mode, training-free (variation, style: generator.engine.texture_modes) or
trained (remix, continue, interpolate, dream: generator.engine.diffusion_modes),
is a ``Mode`` whose ``run(clips, params, model=, progress=, cancelled=)``
returns mono float32 audio. ``MODES`` is a plain dict built here from those
modules. ``generate`` validates the request with typed errors meant for the
user, and fixes the output's length and loudness, so the CLI, the worker and
the tests treat all modes alike.

No Django imports: this runs in the CLI, the worker and plain scripts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import audio, diffusion_modes, music_modes, stereo, texture_modes, vocoder
from .catalog import MODE_INFO, ModeInfo
from .contract import SETTINGS, CancelCheck, Params, Progress, Setting, stop_if_cancelled
from .errors import EngineError, InvalidInput, UnknownMode

log = logging.getLogger(__name__)

# Shortest input clip: one receptive field of the texture features (0.75 s), rounded up.
MIN_CLIP_SECONDS = 1.0


@dataclass(frozen=True)
class Mode:
    """A way of generating audio; ``run`` does the work, ``generate`` checks the request.

    Its words and limits come from generator.engine.catalog, which pages read without torch.
    """

    name: str
    needs_model: bool
    run: Callable[..., np.ndarray]
    # The result is the source with a part changed: no re-levelling, the source's channels kept.
    keeps_source: bool = False

    @property
    def info(self) -> ModeInfo:
        return MODE_INFO[self.name]

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def help(self) -> str:
        return self.info.help

    @property
    def clips(self) -> int:
        return self.info.clips

    @property
    def max_seconds(self) -> float:
        return self.info.max_seconds


MODES: dict[str, Mode] = {
    mode.name: mode
    for mode in (
        Mode("variation", needs_model=False, run=texture_modes.run_variation),
        Mode("style", needs_model=False, run=texture_modes.run_style),
        Mode("remix", needs_model=True, run=diffusion_modes.run_remix),
        # The music network's continue and dream serve a first U-Net through diffusion_modes.
        Mode("continue", needs_model=True, run=music_modes.run_continue),
        Mode("interpolate", needs_model=True, run=diffusion_modes.run_interpolate),
        Mode("dream", needs_model=True, run=music_modes.run_dream),
        Mode("replace", needs_model=True, run=music_modes.run_replace, keeps_source=True),
    )
}


def register(mode: Mode) -> Mode:
    """Add a mode to the registry (replacing one of the same name) and return it.

    For extensions and tests; the modes of this package are listed in MODES above.
    """
    MODES[mode.name] = mode
    return mode


def generate(
    mode: str,
    clips: Sequence[np.ndarray],
    params: Params,
    *,
    model=None,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> np.ndarray:
    """Validate, run a mode, and return its audio at SAMPLE_RATE, loudness-normalised.

    Clips are float32[T] (mono) or float32[2, T] (stereo) at SAMPLE_RATE. The
    mode works on their mid; the result is float32[round(seconds * SAMPLE_RATE)],
    or float32[2, that] with the stereo image of its source (generator.engine.stereo)
    when a clip is stereo and the mode can follow it.

    Raises UnknownMode, InvalidInput (message for the user), Cancelled, or
    EngineError when a mode produces something unusable.
    """
    found = MODES.get(mode)
    if found is None:
        known = ", ".join(sorted(MODES)) or "none"
        raise UnknownMode(f"There is no mode called {mode!r}; choose one of: {known}.")
    _validate(found, clips, params, model)
    length = round(params.seconds * audio.SAMPLE_RATE)
    report = _monotonic(progress)
    stop = cancelled or (lambda: False)
    stop_if_cancelled(stop, "Cancelled before it started.")
    report("starting", 0.0)
    sources = [np.ascontiguousarray(c, dtype=np.float32) for c in clips]
    out = found.run(
        [np.ascontiguousarray(audio.to_mono(c)) for c in sources],  # modes make the mid
        params,
        model=model,
        progress=report,
        cancelled=stop,
    )
    out = np.asarray(out, dtype=np.float32).reshape(-1)
    if not np.all(np.isfinite(out)):
        raise EngineError(f"Mode {mode!r} produced non-finite samples.")
    if out.size != length:
        out = np.pad(out[:length], (0, max(0, length - out.size)))
    if found.keeps_source:
        report("done", 1.0)
        return _onto_source(sources[0], out)
    out = stereo.restore(mode, sources, out, float(params.strength))
    report("done", 1.0)
    return audio.loudness_normalise(out)


def _onto_source(source: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """Apply a mode's change of the source's mid to every channel of the source.

    Where the mode left the mid alone the difference is exactly zero, so those
    samples come back bit-identical, stereo image included.
    """
    if source.ndim == 1 or source.shape[-1] != mid.shape[-1]:
        return mid
    delta = mid - audio.to_mono(source)
    return np.clip(source + delta[None], -1.0, 1.0).astype(np.float32)


def _validate(mode: Mode, clips: Sequence[np.ndarray], params: Params, model) -> None:
    if len(clips) != mode.clips:
        wanted = {0: "no clips", 1: "one clip", 2: "two clips"}.get(mode.clips, f"{mode.clips}")
        raise InvalidInput(f"The {mode.label} mode takes {wanted}; {len(clips)} given.")
    seconds, seed, strength, steps = (
        SETTINGS[name] for name in ("seconds", "seed", "strength", "steps")
    )
    value = params.seconds
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInput("The duration must be a positive number of seconds.")
    if value < seconds.minimum or value > mode.max_seconds:
        raise InvalidInput(
            f"The duration must be between {seconds.minimum:g} and {mode.max_seconds:g} seconds "
            f"for {mode.label}; {value:g} asked."
        )
    if not _whole_within(params.seed, seed):
        raise InvalidInput(
            f"The seed must be a whole number from {seed.minimum} to {seed.maximum}."
        )
    value = params.strength
    if not isinstance(value, int | float) or not strength.minimum <= value <= strength.maximum:
        raise InvalidInput(
            f"The strength must be between {strength.minimum:g} and {strength.maximum:g}."
        )
    if params.steps is not None and not _whole_within(params.steps, steps):
        raise InvalidInput(f"Steps must be a whole number from {steps.minimum} to {steps.maximum}.")
    _validate_music(params)
    for number, clip in enumerate(clips, start=1):
        which = "The clip" if len(clips) == 1 else f"Clip {number}"
        samples = np.asarray(clip)
        if not (samples.ndim == 1 or stereo.is_stereo(samples)) or samples.dtype.kind != "f":
            raise InvalidInput(f"{which} is neither mono nor stereo audio.")
        if samples.shape[-1] < MIN_CLIP_SECONDS * audio.SAMPLE_RATE:
            raise InvalidInput(
                f"{which} is too short ({samples.shape[-1] / audio.SAMPLE_RATE:.2f} s); "
                f"it needs at least {MIN_CLIP_SECONDS:g} s to be analysed."
            )
        if not np.all(np.isfinite(samples)):
            raise InvalidInput(f"{which} holds corrupt samples.")
        if audio.is_silent(audio.to_mono(samples)):  # the modes hear the mid
            raise InvalidInput(f"{which} is silent; there is nothing to work from.")


def _validate_music(params: Params) -> None:
    """Check the music network's settings against the recipe (styles against the model later)."""
    if not isinstance(params.styles, tuple | list) or not all(
        isinstance(s, str) for s in params.styles
    ):
        raise InvalidInput("Styles must be a list of style names.")
    guidance, tempo = SETTINGS["guidance"], SETTINGS["tempo"]
    if not _number_within(params.guidance, guidance):
        raise InvalidInput(
            f"The guidance strength must be between {guidance.minimum:g} and {guidance.maximum:g}."
        )
    if params.tempo is not None and not _number_within(params.tempo, tempo):
        raise InvalidInput(
            f"The tempo must be between {tempo.minimum:g} and {tempo.maximum:g} beats a minute."
        )
    for name in ("start", "end"):
        value = getattr(params, name)
        if value is not None and not _number_within(value, SETTINGS[name]):
            raise InvalidInput(f"The {name} must be a number of seconds, 0 or more.")


def _number_within(value, setting: Setting) -> bool:
    """A finite number inside the setting's limits (either may be open)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    low = -math.inf if setting.minimum is None else setting.minimum
    high = math.inf if setting.maximum is None else setting.maximum
    return low <= value <= high


def _monotonic(progress: Progress | None) -> Progress:
    """Wrap a progress callback so fractions never go backwards or leave 0..1."""
    best = 0.0

    def report(stage: str, fraction: float, **fields) -> None:
        nonlocal best
        best = max(best, min(1.0, max(0.0, float(fraction))))
        if progress is not None:
            progress(stage, best, **fields)

    return report


def _whole_within(value, setting: Setting) -> bool:
    return (
        isinstance(value, int | np.integer)
        and not isinstance(value, bool)
        and setting.minimum <= value <= setting.maximum
    )


def warm_up() -> float:
    """Warm the vocoder and the texture path once per process; returns the seconds it took."""
    import time

    start = time.perf_counter()
    vocoder.warm_up()
    gen = torch.Generator().manual_seed(0)
    noise = (torch.randn(audio.SAMPLE_RATE * 2, generator=gen) * 0.1).numpy()
    generate("variation", [noise], Params(seconds=1.0, seed=0, steps=2))
    return time.perf_counter() - start
