"""Tag audio and embed it with the trained tagger CNN.

``tag(audio)`` says what a clip or track sounds like (the labels the tagger was
trained on, with probabilities); ``embed(audio)`` is the tagger's
penultimate-layer embedding, which "more like this" compares with cosine
similarity and the evaluation uses for Fréchet and kernel distances.
``analyse(audio, mel=)`` gives both from one pass of the network, reusing a
log-mel the caller has already computed (an upload needs one for its picture).
A clip is cut into 128-frame (1.5 s) windows, tagged in one batch, and the
window probabilities / embeddings are averaged. Audio comes at
audio.SAMPLE_RATE (mono or stereo); its mel is computed at the checkpoint's
own audio parameters, after resampling to its rate. No Django imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.engine import audio, checkpoints
from generator.engine.diffusion import MelNorm
from generator.engine.errors import InvalidInput

# For a checkpoint trained before calibration: the probability a label needs to be shown.
DEFAULT_THRESHOLD = 0.2


def resolve(model: Any = None) -> checkpoints.Checkpoint:
    """The tagger checkpoint from None (the default), a path or a Checkpoint."""
    if model is None:
        return checkpoints.default("tagger")
    if isinstance(model, checkpoints.Checkpoint):
        return model
    return checkpoints.cached(Path(model))


def windows(
    samples: np.ndarray,
    ckpt: checkpoints.Checkpoint,
    max_windows: int = 256,
    mel: torch.Tensor | None = None,
) -> torch.Tensor:
    """Audio float32[T] or [2, T] -> normalised log-mel windows Tensor[N, 1, n_mels, window].

    Non-overlapping windows cover the clip (the last one ends at the clip's
    end); a clip shorter than a window is looped. Very long audio is sampled
    evenly down to ``max_windows`` windows so tagging cost stays bounded.
    ``mel``, when given, is ``audio.log_mel(samples)`` already computed.
    """
    extra = ckpt.extra
    width = int(extra.get("window", 128))
    norm = MelNorm(float(extra.get("mel_mean", -5.0)), float(extra.get("mel_std", 3.0)))
    samples = audio.to_mono(np.asarray(samples, dtype=np.float32))
    if samples.size == 0:
        raise InvalidInput("Nothing to tag: the audio is empty.")
    params = ckpt.audio_params
    if mel is None or params != audio.DEFAULT:  # a mel made for the picture fits only then
        samples = audio.resample(samples, audio.SAMPLE_RATE, params.sample_rate)
        mel = audio.log_mel(torch.from_numpy(samples), params)
    if mel.shape[-1] < width:
        mel = mel.repeat(1, math.ceil(width / mel.shape[-1]))[:, :width]
    count = math.ceil(mel.shape[-1] / width)
    starts = np.linspace(0, mel.shape[-1] - width, num=min(count, max_windows)).round().astype(int)
    batch = torch.stack([mel[:, s : s + width] for s in starts])[:, None]
    return norm.encode(batch)


@torch.inference_mode()
def window_embeddings(samples: np.ndarray, model: Any = None) -> np.ndarray:
    """Per-window embeddings float32[N, embed_dim] (what the evaluation's distances use)."""
    ckpt = resolve(model)
    return ckpt.model.embed(windows(samples, ckpt)).numpy().astype(np.float32)


@dataclass(frozen=True)
class Analysis:
    """What the tagger makes of some audio: every label with its probability, and the embedding."""

    tags: list[tuple[str, float]]  # most likely first, summing to 1
    embedding: np.ndarray  # unit-length float32[embed_dim]
    threshold: float = DEFAULT_THRESHOLD  # the checkpoint's calibrated "sure enough to show"

    @property
    def shown(self) -> list[tuple[str, float]]:
        """The labels sure enough to show a person: none rather than a wrong one."""
        return [(label, p) for label, p in self.tags if p >= self.threshold]


@torch.inference_mode()
def analyse(samples: np.ndarray, model: Any = None, *, mel: torch.Tensor | None = None) -> Analysis:
    """Tags and embedding from one pass of the tagger over the windows of ``samples``.

    ``mel``: ``audio.log_mel(samples)`` if the caller has it already (Tensor[128, frames]).
    """
    ckpt = resolve(model)
    per_window = ckpt.model.embed(windows(samples, ckpt, mel=mel))
    probs = torch.softmax(ckpt.model.classify(per_window), dim=1).mean(dim=0)
    ranked = sorted(zip(ckpt.extra["classes"], probs.tolist(), strict=True), key=lambda p: -p[1])
    return Analysis(
        tags=[(label, round(float(p), 4)) for label, p in ranked],
        embedding=_unit(per_window.numpy().mean(axis=0)),
        threshold=float(ckpt.extra.get("threshold", DEFAULT_THRESHOLD)),
    )


def _unit(vec: np.ndarray) -> np.ndarray:
    return (vec / max(float(np.linalg.norm(vec)), 1e-8)).astype(np.float32)


@torch.inference_mode()
def embed(samples: np.ndarray, model: Any = None) -> np.ndarray:
    """One unit-length embedding float32[embed_dim] for a clip or track ("more like this")."""
    return _unit(window_embeddings(samples, model).mean(axis=0))


def tag(samples: np.ndarray, model: Any = None, top: int | None = None) -> list[tuple[str, float]]:
    """Labels with probabilities, most likely first: [(label, prob), ...] summing to 1."""
    return analyse(samples, model).tags[: top or None]
