"""The training-free modes: variation and style transfer by texture re-synthesis.

Both analyse the clips' random-feature texture statistics (generator.engine.texture),
optimise a spectrogram toward them, and give it phase with the vocoder. They
are registered in generator.engine.modes and called through ``modes.generate``,
which validates the request and fixes the output's length and loudness.

No Django imports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from . import audio, texture, vocoder
from .contract import CancelCheck, Params, Progress, stop_if_cancelled


class _Stages:
    """Map each stage's own 0..1 onto a share of the whole bar, and check for cancellation.

    ``weights`` gives the relative cost of each stage; every report also asks
    ``cancelled()``, so a cancel lands within one optimiser or vocoder step.
    """

    def __init__(self, progress: Progress, cancelled: CancelCheck, weights: dict[str, float]):
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
        stop_if_cancelled(self._cancelled)
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
    cancelled: CancelCheck,
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
    cancelled: CancelCheck,
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
