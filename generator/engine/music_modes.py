"""Dream, continue and "replace a section" with the music network (``musicnet``).

- dream: a steady beat grid (the tempo asked, or one drawn from the seed)
  and optional style labels with a guidance strength; the windows fill the
  whole duration from noise.
- continue: from a chosen point of the clip (``params.start`` seconds, the
  clip's end when None), for the rest of ``params.seconds`` (the total
  length, the kept part of the clip included). The clip's beats are tracked
  and their grid carried on, the clip before the point is known input, and
  every window starts from noise, so the new music follows the clip without
  replaying it.
- replace: the span ``params.start``..``params.end`` of the clip is repainted
  with a few seconds of known music on both sides; outside the span the
  result is the clip, sample for sample.

A checkpoint of the first U-Net (arch "unet") is still served by
diffusion_modes; with no model given, these modes use the installed musicnet
and fall back to the first U-Net when none is installed. No Django imports.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.engine import audio, checkpoints, diffusion_modes, music_sampling, rhythm, vocoder
from generator.engine.contract import SETTINGS
from generator.engine.diffusion import MelNorm
from generator.engine.errors import EngineError, InvalidInput

ARCH = "musicnet"
DEFAULT_STEPS = 12
MAX_STEPS = SETTINGS["steps"].maximum
CONTEXT_SECONDS = 12.0  # of the clip before the point that continue reads
SIDE_SECONDS = 3.0  # known music each side of a replaced span
FADE = 1024  # samples (23 ms) of cross-fade where generated audio meets the clip


def _checkpoint(model: Any) -> checkpoints.Checkpoint | None:
    """The musicnet checkpoint to use, or None when the first U-Net should serve."""
    try:
        if model is None:
            if not (checkpoints.default_path(ARCH) / checkpoints.CONFIG).exists():
                return None
            return checkpoints.default(ARCH)
        if isinstance(model, checkpoints.Checkpoint):
            ckpt = model
        elif isinstance(model, str | Path):
            ckpt = checkpoints.cached(model)
        else:
            raise InvalidInput(f"Not a diffusion model: {type(model).__name__}.")
    except checkpoints.CheckpointError as exc:
        raise EngineError(f"The music model cannot be used: {exc}") from exc
    return ckpt if ckpt.arch == ARCH else None


def _parts(ckpt: checkpoints.Checkpoint) -> tuple[torch.nn.Module, MelNorm, audio.AudioParams]:
    extra = ckpt.extra
    return ckpt.model, MelNorm(extra["mel_mean"], extra["mel_std"]), ckpt.audio_params


def _steps(params: Any) -> int:
    steps = DEFAULT_STEPS if params.steps is None else int(params.steps)
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidInput(f"Steps must be between 1 and {MAX_STEPS}.")
    return steps


def _conditioning(
    ckpt: checkpoints.Checkpoint, params: Any, grid: rhythm.Grid, total: int, offset: int = 0
) -> music_sampling.Conditioning:
    styles = tuple(ckpt.extra.get("styles", ()))
    try:
        style = music_sampling.style_vector(tuple(getattr(params, "styles", ()) or ()), styles)
    except ValueError as exc:
        raise InvalidInput(f"Style: {exc}.") from None
    guidance = float(getattr(params, "guidance", 1.0) or 1.0)
    return music_sampling.Conditioning(grid, total, style, guidance, offset)


def _fill(ckpt, x, known, cond, params, progress, cancelled, stage) -> torch.Tensor:
    return music_sampling.fill(
        ckpt.model,
        x,
        known,
        cond,
        seed=params.seed,
        steps=_steps(params),
        window=int(ckpt.extra.get("window", 544)),
        progress=diffusion_modes._stage(progress, 0.0, diffusion_modes.DENOISE_SHARE),
        cancelled=cancelled,
        stage=stage,
    )


def dream_tempo(params: Any) -> float:
    """The tempo asked for, or one drawn from the seed (84..132 BPM)."""
    tempo = getattr(params, "tempo", None)
    if tempo:
        return float(tempo)
    return float(np.random.default_rng(int(params.seed)).uniform(84.0, 132.0))


@torch.inference_mode()
def run_dream(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """New music from the seed, steered by style labels and a tempo."""
    ckpt = _checkpoint(model)
    if ckpt is None:
        return diffusion_modes.run_dream(
            clips, params, model=model, progress=progress, cancelled=cancelled
        )
    net, norm, ap = _parts(ckpt)
    length = round(params.seconds * audio.SAMPLE_RATE)
    frames = vocoder.n_frames(diffusion_modes._model_length(length, ap), ap)
    grid = rhythm.grid(dream_tempo(params), frames, ap.frame_rate)
    cond = _conditioning(ckpt, params, grid, frames)
    x = torch.zeros(1, 1, ap.n_mels, frames)
    known = torch.zeros(frames, dtype=torch.bool)
    x = _fill(ckpt, x, known, cond, params, progress, cancelled, "dreaming")
    return diffusion_modes._vocode(x, norm, length, params.seed, progress, cancelled, ap)


def _clip_point(clip: np.ndarray, seconds: float | None, what: str) -> int:
    if seconds is None:
        return len(clip)
    if not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise InvalidInput(f"The {what} must be a number of seconds.")
    point = round(float(seconds) * audio.SAMPLE_RATE)
    if not 0 <= point <= len(clip):
        raise InvalidInput(
            f"The {what} ({seconds:g} s) must lie inside the clip "
            f"(0 to {len(clip) / audio.SAMPLE_RATE:.1f} s)."
        )
    return point


@torch.inference_mode()
def run_continue(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """The clip up to ``params.start`` followed by new music, ``params.seconds`` in all."""
    ckpt = _checkpoint(model)
    start = getattr(params, "start", None)
    if ckpt is None:
        if start is not None:
            raise InvalidInput("Continuing from a chosen point needs the music model.")
        return diffusion_modes.run_continue(
            clips, params, model=model, progress=progress, cancelled=cancelled
        )
    net, norm, ap = _parts(ckpt)
    clip = np.asarray(clips[0], dtype=np.float32)
    length = round(params.seconds * audio.SAMPLE_RATE)
    cut = _clip_point(clip, start, "point to continue from")
    if cut < audio.SAMPLE_RATE:
        raise InvalidInput("Continue needs at least 1 s of the clip before the point.")
    if length <= cut:
        raise InvalidInput(
            f"Continue makes music after the point: choose a duration above "
            f"{cut / audio.SAMPLE_RATE:.1f} s."
        )
    tail = max(0, cut - round(CONTEXT_SECONDS * audio.SAMPLE_RATE))
    prompt = diffusion_modes._to_model(clip[tail:cut], ap)
    mel = diffusion_modes._mel(prompt, norm, ap)
    known_frames = mel.shape[-1] - 1  # the last frame straddles the point
    frames = vocoder.n_frames(diffusion_modes._model_length(length - tail, ap), ap)
    grid = rhythm.extend(rhythm.track(norm.decode(mel[0, 0]), ap.frame_rate), frames, ap.frame_rate)
    offset = round(tail / audio.SAMPLE_RATE * ap.frame_rate)
    cond = _conditioning(ckpt, params, grid, offset + frames, offset)
    x = torch.zeros(1, 1, ap.n_mels, frames)
    x[..., :known_frames] = mel[..., :known_frames]
    known = torch.zeros(frames, dtype=torch.bool)
    known[:known_frames] = True
    x = _fill(ckpt, x, known, cond, params, progress, cancelled, "continuing")
    # Vocode from two seconds before the point (phase settles there), then join.
    lead = min(known_frames, round(2.0 * ap.frame_rate))
    first = known_frames - lead
    begin = tail + round(first * ap.hop * audio.SAMPLE_RATE / ap.sample_rate)
    made = diffusion_modes._vocode(
        x[..., first:], norm, length - begin, params.seed, progress, cancelled, ap
    )
    return _join(clip[:cut], made, cut - begin, length)


def _join(head: np.ndarray, made: np.ndarray, overlap: int, length: int) -> np.ndarray:
    """head followed by made[overlap:], level-matched and cross-faded: float32[length]."""
    ref = head[len(head) - overlap :]
    gain = 10 ** ((audio.rms_db(ref) - audio.rms_db(made[:overlap])) / 20) if overlap else 1.0
    made = made * min(gain, 4.0)
    out = np.empty(length, dtype=np.float32)
    out[: len(head)] = head
    out[len(head) :] = made[overlap : overlap + length - len(head)]
    fade = min(FADE, overlap)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        a = head[len(head) - fade :]
        b = made[overlap - fade : overlap]
        out[len(head) - fade : len(head)] = a * (1 - ramp) + b * ramp
    return np.clip(out, -1.0, 1.0)


@torch.inference_mode()
def run_replace(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """The clip with ``params.start``..``params.end`` repainted; elsewhere the clip exactly."""
    ckpt = _checkpoint(model)
    if ckpt is None:
        raise InvalidInput("Replacing a section needs the music model, which is not installed.")
    net, norm, ap = _parts(ckpt)
    clip = np.asarray(clips[0], dtype=np.float32)
    a = _clip_point(clip, getattr(params, "start", None) or 0.0, "start of the section")
    b = _clip_point(clip, getattr(params, "end", None), "end of the section")
    if b - a < 0.25 * audio.SAMPLE_RATE:
        raise InvalidInput("The section to replace must be at least 0.25 s long.")
    side = round(SIDE_SECONDS * audio.SAMPLE_RATE)
    lo, hi = max(0, a - side), min(len(clip), b + side)
    region = diffusion_modes._to_model(clip[lo:hi], ap)
    mel = diffusion_modes._mel(region, norm, ap)
    frames = mel.shape[-1]
    rate = ap.sample_rate / audio.SAMPLE_RATE / ap.hop  # frames a 44.1 kHz sample
    first = max(0, math.floor((a - lo) * rate) - 2)
    last = min(frames, math.ceil((b - lo) * rate) + 3)
    known = torch.ones(frames, dtype=torch.bool)
    known[first:last] = False
    grid = rhythm.extend(rhythm.track(norm.decode(mel[0, 0]), ap.frame_rate), frames, ap.frame_rate)
    total = round(len(clip) * rate)
    offset = round(lo * rate)
    cond = _conditioning(ckpt, params, grid, total, offset)
    x = _fill(ckpt, mel, known, cond, params, progress, cancelled, "repainting")
    made = diffusion_modes._vocode(x, norm, hi - lo, params.seed, progress, cancelled, ap)
    # Match the repainted audio's level to the clip's around the span.
    gain = 10 ** ((audio.rms_db(clip[lo:hi]) - audio.rms_db(made)) / 20)
    made = made * min(gain, 4.0)
    out = clip.copy()
    fade = min(FADE, (b - a) // 4)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    span = made[a - lo : b - lo].copy()
    span[:fade] = clip[a : a + fade] * (1 - ramp) + span[:fade] * ramp
    span[len(span) - fade :] = span[len(span) - fade :] * (1 - ramp) + clip[b - fade : b] * ramp
    out[a:b] = np.clip(span, -1.0, 1.0)
    return out
