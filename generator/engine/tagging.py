"""Tag audio and embed it with the trained tagger CNN.

``tag(audio)`` says what a clip or track sounds like (the labels the tagger was
trained on, with probabilities); ``embed(audio)`` is the tagger's
penultimate-layer embedding, which "more like this" compares with cosine
similarity and the evaluation uses for Fréchet and kernel distances.
A clip is cut into 128-frame (1.5 s) windows, tagged in one batch, and the
window probabilities / embeddings are averaged. Audio comes at
audio.SAMPLE_RATE (mono or stereo); its mel is computed at the checkpoint's
own audio parameters, after resampling to its rate. No Django imports.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.engine import audio, checkpoints
from generator.engine.diffusion import MelNorm


def resolve(model: Any = None) -> checkpoints.Checkpoint:
    """The tagger checkpoint from None (the default), a path or a Checkpoint."""
    if model is None:
        return checkpoints.default("tagger")
    if isinstance(model, checkpoints.Checkpoint):
        return model
    return checkpoints.cached(Path(model))


def windows(
    samples: np.ndarray, ckpt: checkpoints.Checkpoint, max_windows: int = 256
) -> torch.Tensor:
    """Audio float32[T] or [2, T] -> normalised log-mel windows Tensor[N, 1, n_mels, window].

    Non-overlapping windows cover the clip (the last one ends at the clip's
    end); a clip shorter than a window is looped. Very long audio is sampled
    evenly down to ``max_windows`` windows so tagging cost stays bounded.
    """
    extra = ckpt.extra
    width = int(extra.get("window", 128))
    norm = MelNorm(float(extra.get("mel_mean", -5.0)), float(extra.get("mel_std", 3.0)))
    samples = audio.to_mono(np.asarray(samples, dtype=np.float32))
    if samples.size == 0:
        from generator.engine.errors import InvalidInput

        raise InvalidInput("Nothing to tag: the audio is empty.")
    params = ckpt.audio_params
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


@torch.inference_mode()
def embed(samples: np.ndarray, model: Any = None) -> np.ndarray:
    """One unit-length embedding float32[embed_dim] for a clip or track ("more like this")."""
    vec = window_embeddings(samples, model).mean(axis=0)
    return (vec / max(float(np.linalg.norm(vec)), 1e-8)).astype(np.float32)


@torch.inference_mode()
def tag(samples: np.ndarray, model: Any = None, top: int | None = None) -> list[tuple[str, float]]:
    """Labels with probabilities, most likely first: [(label, prob), ...] summing to 1."""
    ckpt = resolve(model)
    probs = torch.softmax(ckpt.model(windows(samples, ckpt)), dim=1).mean(dim=0)
    classes = ckpt.extra["classes"]
    ranked = sorted(zip(classes, probs.tolist(), strict=True), key=lambda p: -p[1])
    return [(label, round(float(p), 4)) for label, p in ranked[: top or None]]
