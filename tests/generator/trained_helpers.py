"""Tiny networks and audio for the trained-network tests (issue 4), built in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from generator.engine import audio, checkpoints

TINY_UNET = {"n_mels": audio.N_MELS, "channels": [8, 16], "t_dim": 32}
TINY_TAGGER = {"n_mels": audio.N_MELS, "channels": [8, 8, 16, 16], "embed_dim": 16}


def tiny_unet(
    path: Path, seed: int = 0, params: audio.AudioParams = audio.DEFAULT
) -> checkpoints.Checkpoint:
    """A randomly initialised small U-Net saved and loaded like a real checkpoint.

    ``params``: the audio parameters it claims to be trained on.
    """
    torch.manual_seed(seed)
    hparams = {**TINY_UNET, "n_mels": params.n_mels}
    model = checkpoints.build("unet", hparams)
    # Give the zero-initialised output layer some weight so the sampler really moves.
    torch.nn.init.normal_(model.conv_out.weight, std=0.02)
    checkpoints.save(
        model,
        path,
        arch="unet",
        hparams=hparams,
        extra={"mel_mean": -5.0, "mel_std": 3.5, "window": 128},
        audio_params=params,
    )
    return checkpoints.load(path)


def tiny_tagger(
    path: Path, classes: list[str], seed: int = 0, params: audio.AudioParams = audio.DEFAULT
) -> checkpoints.Checkpoint:
    torch.manual_seed(seed)
    hp = {**TINY_TAGGER, "n_classes": len(classes), "n_mels": params.n_mels}
    model = checkpoints.build("tagger", hp)
    checkpoints.save(
        model,
        path,
        arch="tagger",
        hparams=hp,
        extra={"classes": classes, "mel_mean": -5.0, "mel_std": 3.5, "window": 128},
        audio_params=params,
    )
    return checkpoints.load(path)


def write_clip(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, audio.SAMPLE_RATE)
    return path


def synth_piece(seconds: float, freq: float, seed: int = 0) -> np.ndarray:
    """A plucked-note melody, so crops differ from one another."""
    rng = np.random.default_rng(seed)
    sr = audio.SAMPLE_RATE
    out = np.zeros(int(seconds * sr), dtype=np.float32)
    note = int(0.25 * sr)
    t = np.arange(note) / sr
    for start in range(0, len(out) - note, note):
        f = freq * 2 ** (rng.integers(0, 12) / 12)
        out[start : start + note] += (np.sin(2 * np.pi * f * t) * np.exp(-6 * t)).astype(np.float32)
    return 0.3 * out


TINY_MUSICNET = {
    "n_mels": audio.N_MELS,
    "channels": [8, 16],
    "bottom": 32,
    "dilations": [1, 2],
    "fold": [4, 2],
    "n_styles": 3,
    "c_dim": 32,
}
TINY_STYLES = ["orchestral", "electronic", "chiptune"]


def tiny_musicnet(path: Path, seed: int = 0, window: int = 64) -> checkpoints.Checkpoint:
    """A randomly initialised small music network saved and loaded like a real checkpoint."""
    torch.manual_seed(seed)
    model = checkpoints.build("musicnet", TINY_MUSICNET)
    torch.nn.init.normal_(model.conv_out.weight, std=0.05)
    checkpoints.save(
        model,
        path,
        arch="musicnet",
        hparams=TINY_MUSICNET,
        extra={"mel_mean": -5.0, "mel_std": 3.5, "window": window, "styles": TINY_STYLES},
    )
    return checkpoints.load(path)
