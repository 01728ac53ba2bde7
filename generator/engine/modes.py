"""Generation modes: one contract for every way of making audio, and the registry.

Every mode, training-free (variation, style, here) or trained (remix, continue,
interpolate, dream, registered by generator.engine.nets users), is a ``Mode`` whose
``run(clips, params, model=, progress=, cancelled=)`` returns mono float32
audio at 44,100 Hz from mono clips (the mid of stereo ones; ``generate`` gives
the result its source's stereo image). Callers go through ``generate``, which
validates the request with typed errors meant for the user, and fixes the
output's length and loudness, so the CLI, the worker and the tests treat all
modes alike.

No Django imports: this runs in the CLI, the worker and plain scripts.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import audio, stereo, texture, vocoder
from .catalog import MODE_INFO, ModeInfo
from .errors import Cancelled as CancelledError
from .errors import EngineError, InvalidInput, UnknownMode

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]  # (stage in words, fraction done 0..1)
Cancelled = Callable[[], bool]

MIN_SECONDS = 1.0  # shortest output any mode makes
# Shortest input clip: one receptive field of the texture features (0.75 s), rounded up.
MIN_CLIP_SECONDS = 1.0
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Params:
    """What the user chose: output length, seed, how far to go, and optionally the effort."""

    seconds: float
    seed: int
    strength: float = 0.5
    steps: int | None = None
    # The music network's modes (generator.engine.music_modes):
    styles: tuple[str, ...] = ()  # style labels to steer dream and continue
    guidance: float = 2.0  # classifier-free guidance strength for the styles
    tempo: float | None = None  # dream's beats a minute; None: drawn from the seed
    start: float | None = None  # seconds into the clip: continue's point, replace's start
    end: float | None = None  # replace: end of the section, in seconds


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


MODES: dict[str, Mode] = {}


def register(mode: Mode) -> Mode:
    """Add a mode to the registry (replacing one of the same name) and return it."""
    MODES[mode.name] = mode
    return mode


def generate(
    mode: str,
    clips: Sequence[np.ndarray],
    params: Params,
    *,
    model=None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
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
    if stop():
        raise CancelledError("Cancelled before it started.")
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
    seconds = params.seconds
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInput("The duration must be a positive number of seconds.")
    if seconds < MIN_SECONDS or seconds > mode.max_seconds:
        raise InvalidInput(
            f"The duration must be between {MIN_SECONDS:g} and {mode.max_seconds:g} seconds "
            f"for {mode.label}; {seconds:g} asked."
        )
    if not isinstance(params.seed, int | np.integer) or not 0 <= params.seed <= MAX_SEED:
        raise InvalidInput("The seed must be a whole number from 0 to 2**63 - 1.")
    if not isinstance(params.strength, int | float) or not 0.0 <= params.strength <= 1.0:
        raise InvalidInput("The strength must be between 0 and 1.")
    if params.steps is not None and not (isinstance(params.steps, int) and params.steps >= 1):
        raise InvalidInput("The number of steps must be a whole number of at least 1.")
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
    """Check the music network's fields (styles are checked against the model later)."""
    if not isinstance(params.styles, tuple | list) or not all(
        isinstance(s, str) for s in params.styles
    ):
        raise InvalidInput("Styles must be a list of style names.")
    if not isinstance(params.guidance, int | float) or not 0.0 <= params.guidance <= 10.0:
        raise InvalidInput("The guidance strength must be between 0 and 10.")
    if params.tempo is not None and (
        not isinstance(params.tempo, int | float) or not 40.0 <= params.tempo <= 240.0
    ):
        raise InvalidInput("The tempo must be between 40 and 240 beats a minute.")
    for name in ("start", "end"):
        value = getattr(params, name)
        if value is not None and (
            not isinstance(value, int | float) or not math.isfinite(value) or value < 0
        ):
            raise InvalidInput(f"The {name} must be a number of seconds, 0 or more.")


def _monotonic(progress: Progress | None) -> Progress:
    """Wrap a progress callback so fractions never go backwards or leave 0..1."""
    best = 0.0

    def report(stage: str, fraction: float) -> None:
        nonlocal best
        best = max(best, min(1.0, max(0.0, float(fraction))))
        if progress is not None:
            progress(stage, best)

    return report


class _Stages:
    """Map each stage's own 0..1 onto a share of the whole bar, and check for cancellation.

    ``weights`` gives the relative cost of each stage; every report also asks
    ``cancelled()``, so a cancel lands within one optimiser or vocoder step.
    """

    def __init__(self, progress: Progress, cancelled: Cancelled, weights: dict[str, float]):
        self._progress = progress
        self._cancelled = cancelled
        total = sum(weights.values())
        self._start: dict[str, float] = {}
        acc = 0.0
        for name, weight in weights.items():
            self._start[name] = acc / total
            acc += weight
        self._share = {name: weight / total for name, weight in weights.items()}

    def report(self, key: str, fraction: float, words: str | None = None) -> None:
        if self._cancelled():
            raise CancelledError("Cancelled.")
        self._progress(words or key, self._start[key] + self._share[key] * fraction)


def _generator(params: Params) -> torch.Generator:
    """The one source of randomness for a run; nothing touches torch's global RNG."""
    return torch.Generator().manual_seed(int(params.seed))


def _normalised_log_mel(clip: np.ndarray) -> tuple[torch.Tensor, float, float]:
    """Tensor[1, N_MELS, N] log-mel scaled to zero mean, unit variance, and the scale used."""
    spec = audio.log_mel(torch.from_numpy(clip))
    mean, std = float(spec.mean()), float(spec.std().clamp_min(1e-3))
    return ((spec - mean) / std)[None], mean, std


def _fit_frames(spec: torch.Tensor, frames: int) -> torch.Tensor:
    """Crop, or loop with a mirrored turn, a Tensor[1, N_MELS, N] to ``frames`` frames."""
    if spec.shape[-1] >= frames:
        return spec[..., :frames]
    there_and_back = torch.cat([spec, spec.flip(-1)], dim=-1)
    repeats = math.ceil(frames / there_and_back.shape[-1])
    return there_and_back.repeat(1, 1, repeats)[..., :frames]


def _vocode(
    z: torch.Tensor,
    mean: float,
    std: float,
    length: int,
    gen: torch.Generator,
    stages: _Stages,
) -> np.ndarray:
    log_mel = z * std + mean
    signal = vocoder.log_mel_to_audio(
        log_mel,
        length,
        generator=gen,
        step=lambda f: stages.report("vocode", f, "reconstructing phase"),
    )
    return signal[0].numpy()


def _synthesis_words(count: int) -> Callable[[int], str]:
    return lambda index: f"synthesising {index + 1}/{count}" if count > 1 else "synthesising"


# Relative wall time of each stage on this CPU, for a smooth bar.
_WEIGHTS = {"analyse": 0.03, "synthesise": 0.87, "vocode": 0.10}


@torch.no_grad()
def run_variation(
    clips: Sequence[np.ndarray],
    params: Params,
    *,
    model=None,
    progress: Progress,
    cancelled: Cancelled,
) -> np.ndarray:
    """Re-synthesise the clip's texture at the requested length, from seeded noise.

    ``strength`` has no meaning here (every output is a full re-synthesis).
    """
    stages = _Stages(progress, cancelled, _WEIGHTS)
    config = texture.DEFAULT
    gen = _generator(params)
    length = round(params.seconds * audio.SAMPLE_RATE)
    frames = vocoder.n_frames(length)

    stages.report("analyse", 0.0, "analysing clip")
    z_src, mean, std = _normalised_log_mel(clips[0])
    target = texture.analyse(z_src, config)
    stages.report("analyse", 1.0, "analysing clip")

    noise = texture.smooth_noise(frames, gen, config)
    initial = target.band_mean[:, None] + target.band_std[:, None] * noise
    spans = len(texture.plan_segments(frames, config))
    words = _synthesis_words(spans)
    with torch.enable_grad():
        z = texture.synthesise(
            initial,
            target,
            config=config,
            steps=params.steps,
            tick=lambda i, f: stages.report("synthesise", (i + f) / spans, words(i)),
        )
    return _vocode(z, mean, std, length, gen, stages)


@torch.no_grad()
def run_style(
    clips: Sequence[np.ndarray],
    params: Params,
    *,
    model=None,
    progress: Progress,
    cancelled: Cancelled,
) -> np.ndarray:
    """Clip A's content in clip B's texture; ``strength`` 0 keeps A, 1 is B's texture alone.

    The output starts from A's spectrogram with each band's level and spread
    moved toward B's by ``strength``, then is optimised to match a blend of A's
    features (weight 1 - strength) and B's texture (weight strength). A is
    looped (forwards then backwards) or cut to the requested length.
    """
    balance = float(params.strength)
    stages = _Stages(progress, cancelled, _WEIGHTS)
    config = texture.DEFAULT
    gen = _generator(params)
    length = round(params.seconds * audio.SAMPLE_RATE)
    frames = vocoder.n_frames(length)

    stages.report("analyse", 0.0, "analysing clips")
    z_a, mean_a, std_a = _normalised_log_mel(clips[0])
    z_b, mean_b, std_b = _normalised_log_mel(clips[1])
    # Express B in A's units so one spectrogram can be compared with both.
    z_b = (z_b * std_b + mean_b - mean_a) / std_a
    content = _fit_frames(z_a, frames)
    texture_a = texture.analyse(z_a, config)
    target = texture_a.mix(texture.analyse(z_b, config), balance)
    stages.report("analyse", 1.0, "analysing clips")

    # Re-level each band of A toward B's statistics before optimising.
    band_mean, band_std = texture_a.band_mean[:, None], texture_a.band_std[:, None]
    whitened = (content - band_mean) / band_std.clamp_min(1e-3)
    initial = target.band_mean[:, None] + target.band_std[:, None] * whitened
    spans = len(texture.plan_segments(frames, config))
    words = _synthesis_words(spans)
    steps = 0 if balance == 0.0 else params.steps
    with torch.enable_grad():
        z = texture.synthesise(
            initial,
            target,
            content=content,
            content_weight=1.0 - balance,
            config=config,
            steps=steps,
            tick=lambda i, f: stages.report("synthesise", (i + f) / spans, words(i)),
        )
    return _vocode(z, mean_a, std_a, length, gen, stages)


register(Mode(name="variation", needs_model=False, run=run_variation))
register(Mode(name="style", needs_model=False, run=run_style))


def warm_up() -> float:
    """Warm the vocoder and the texture path once per process; returns the seconds it took."""
    import time

    start = time.perf_counter()
    vocoder.warm_up()
    gen = torch.Generator().manual_seed(0)
    noise = (torch.randn(audio.SAMPLE_RATE * 2, generator=gen) * 0.1).numpy()
    generate("variation", [noise], Params(seconds=1.0, seed=0, steps=2))
    return time.perf_counter() - start


# The trained modes register themselves on import; they live in their own
# module so this one stays free of checkpoints and networks.
if importlib.util.find_spec("generator.engine.diffusion_modes") is not None:
    from . import diffusion_modes  # noqa: F401, E402
if importlib.util.find_spec("generator.engine.music_modes") is not None:
    from . import music_modes  # noqa: F401, E402
