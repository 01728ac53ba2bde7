"""Check an uploaded checkpoint before it may be activated (no Django imports).

A checkpoint passes when it loads without pickle, its config matches its
architecture and weights (generator.engine.checkpoints verifies both), and a short
smoke run makes something that is neither silence nor noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.engine import audio, checkpoints

SMOKE_SECONDS = 2.0
MAX_FLATNESS = 0.5  # white noise scores near 1; music and tones far lower


class VettingError(ValueError):
    """Why a checkpoint was refused, in words for the admin who uploaded it."""


def spectral_flatness(samples: np.ndarray) -> float:
    """Geometric over arithmetic mean of the power spectrum, averaged over frames."""
    import torch

    power = audio.stft(torch.as_tensor(samples, dtype=torch.float32)).abs().square() + 1e-10
    flatness = torch.exp(torch.log(power).mean(dim=0)) / power.mean(dim=0)
    return float(flatness.mean())


def check_audio(samples: np.ndarray) -> None:
    if audio.is_silent(samples):
        raise VettingError("The smoke generation came out silent.")
    if not np.all(np.isfinite(samples)):
        raise VettingError("The smoke generation holds non-numbers.")
    if spectral_flatness(samples) > MAX_FLATNESS:
        raise VettingError("The smoke generation sounds like noise (its spectrum is flat).")


def vet(folder: Path) -> dict:
    """Load and smoke-test the checkpoint in folder; return its config, or raise VettingError."""
    try:
        checkpoint = checkpoints.load(folder)
    except checkpoints.CheckpointError as exc:
        raise VettingError(str(exc)) from None
    if checkpoint.arch == "unet":
        from generator.engine import modes

        samples = modes.generate(
            "dream", [], modes.Params(seconds=SMOKE_SECONDS, seed=0, steps=4), model=checkpoint
        )
        check_audio(samples)
    elif checkpoint.arch == "tagger":
        from generator.engine import tagging

        t = np.arange(int(SMOKE_SECONDS * audio.SAMPLE_RATE)) / audio.SAMPLE_RATE
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        scores = tagging.tag(tone, model=checkpoint)
        if not scores or not all(np.isfinite(p) for _, p in scores):
            raise VettingError("The tagger's smoke run gave no usable scores.")
    else:
        raise VettingError(f"Checkpoints of architecture {checkpoint.arch!r} cannot be served.")
    return checkpoint.config
