"""The trained diffusion modes: remix, continue, interpolate and dream.

All four drive one small U-Net (generator/nets/unet.py) with the DDIM sampler
of generator/diffusion.py over normalised log-mels, and the engine's
Griffin-Lim (generator/vocoder.py) for phase. generator.engine.modes lists
them in its registry and calls them through ``modes.generate``, which
validates the request and guarantees the output length.

Why these recipes, in one line each:
- remix is SDEdit: noise the clip's mel to time ``strength`` and denoise, so
  0 keeps the clip and 1 ignores it.
- continue outpaints window after window; each window sees the last frames of
  what exists as known input channels and has them imposed on every denoising
  step, so joins are seamless in the mel domain.
- interpolate noises both clips with the same seeded noise to time
  ``strength``, slerps the two latents frame by frame along a smooth curve
  from A to B, and denoises the result.
- dream denoises seeded Gaussian noise from t = 1.

Remix, interpolate and dream denoise in overlapping windows of at most
REPAINT_WIDTH frames (diffusion.ddim_sample with ``window``): the network's
memory is that of one window whatever the duration, progress and the cancel
check come once per window, and the blended overlaps leave no seam.


Audio parameters: each checkpoint carries the sample rate and mel layout it was
trained on (``Checkpoint.audio_params``; the first networks: 22,050 Hz, 128
bands). The clips (44,100 Hz) are resampled to the model's rate, its mel and
vocoder use its parameters, and the result is resampled back, so every mode's
output is at audio.SAMPLE_RATE whatever the model.

Shapes: audio in and out is float32[T] at audio.SAMPLE_RATE; mels are
Tensor[1, 1, n_mels, frames] at the model's parameters. No Django imports.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.engine import audio, checkpoints, diffusion, vocoder
from generator.engine.contract import SETTINGS, CancelCheck, Progress, stop_if_cancelled
from generator.engine.diffusion import MelNorm
from generator.engine.errors import EngineError, InvalidInput

log = logging.getLogger(__name__)

DEFAULT_STEPS = 20
# remix, interpolate, dream: the network sees at most REPAINT_WIDTH frames (5.9 s) at a
# time, and neighbouring windows share REPAINT_OVERLAP frames (0.74 s) to blend over.
REPAINT_WIDTH = 512
REPAINT_OVERLAP = 64
MEL_BLOCK = 2048  # frames (24 s) of a clip analysed at once
# continue: each new window is CONTINUE_WIDTH frames of which the first
# CONTINUE_CONTEXT are known (0.74 s of context, 1.49 s of new audio a window).
CONTINUE_WIDTH = 192
CONTINUE_CONTEXT = 64
CROSSFADE = 2048  # samples (46 ms) where the original clip hands over to the generated audio
DENOISE_SHARE = 0.85  # of the progress bar; the vocoder gets the rest


def resolve_model(model: Any) -> tuple[torch.nn.Module, MelNorm, audio.AudioParams]:
    """The U-Net, its normalisation and its audio parameters, from None (the default), a path
    or a Checkpoint."""
    try:
        if model is None:
            ckpt = checkpoints.default("unet")
        elif isinstance(model, checkpoints.Checkpoint):
            ckpt = model
        elif isinstance(model, str | Path):
            ckpt = checkpoints.cached(model)
        else:
            raise InvalidInput(f"Not a diffusion model: {type(model).__name__}.")
    except checkpoints.CheckpointError as exc:
        raise EngineError(f"The diffusion model cannot be used: {exc}") from exc
    if ckpt.arch != "unet":
        raise InvalidInput(f"This mode needs a diffusion U-Net, not a {ckpt.arch!r} model.")
    extra = ckpt.extra
    norm = MelNorm(float(extra.get("mel_mean", -5.0)), float(extra.get("mel_std", 3.0)))
    return ckpt.model, norm, ckpt.audio_params


def _steps(params: Any, fraction: float = 1.0) -> int:
    steps = DEFAULT_STEPS if params.steps is None else int(params.steps)
    limits = SETTINGS["steps"]
    if not limits.minimum <= steps <= limits.maximum:
        raise InvalidInput(f"Steps must be between {limits.minimum} and {limits.maximum}.")
    return max(1, math.ceil(steps * fraction))


def _frames(seconds: float) -> int:
    return vocoder.n_frames(round(seconds * audio.SAMPLE_RATE))


def _fit(samples: np.ndarray, length: int) -> np.ndarray:
    """Loop or cut audio to exactly ``length`` samples."""
    if len(samples) == 0:
        raise InvalidInput("The clip is empty.")
    reps = math.ceil(length / len(samples))
    return np.tile(samples, reps)[:length].astype(np.float32)


def _to_model(samples: np.ndarray, ap: audio.AudioParams) -> np.ndarray:
    """Audio at audio.SAMPLE_RATE -> at the model's rate."""
    return audio.resample(samples, audio.SAMPLE_RATE, ap.sample_rate)


def _model_length(length: int, ap: audio.AudioParams) -> int:
    """Samples at the model's rate for ``length`` samples at audio.SAMPLE_RATE."""
    return round(length * ap.sample_rate / audio.SAMPLE_RATE)


def _mel(samples: np.ndarray, norm: MelNorm, ap: audio.AudioParams) -> torch.Tensor:
    """Audio float32[T] at the model's rate -> normalised log-mel Tensor[1, 1, n_mels, frames].

    Long audio is analysed MEL_BLOCK frames at a time, each block from the
    samples its frames reach, so the STFT's memory is one block's.
    """
    frames = vocoder.n_frames(len(samples), ap)
    if frames <= MEL_BLOCK:
        return norm.encode(audio.log_mel(torch.from_numpy(samples), ap))[None, None]
    reach = ap.n_fft // 2 // ap.hop  # frames of samples a frame sees either side
    out = torch.empty(1, 1, ap.n_mels, frames)
    for first in range(0, frames, MEL_BLOCK):
        last = min(first + MEL_BLOCK, frames)
        skip = min(first, reach)  # frames analysed only to give the block's first its samples
        segment = samples[(first - skip) * ap.hop : (last - 1 + reach) * ap.hop]
        mel = audio.log_mel(torch.from_numpy(segment), ap)
        out[0, 0, :, first:last] = norm.encode(mel[:, skip : skip + last - first])
    return out


def _noise(shape: Sequence[int], seed: int, offset: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + offset)
    return torch.randn(tuple(shape), generator=gen)


def _stage(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """A progress callback that maps a sub-task's 0..1 onto lo..hi of the whole."""
    if progress is None:
        return None
    return lambda stage, fraction, **fields: progress(stage, lo + (hi - lo) * fraction, **fields)


def _vocode(
    x: torch.Tensor,
    norm: MelNorm,
    length: int,
    seed: int,
    progress: Progress | None,
    cancelled: CancelCheck | None,
    ap: audio.AudioParams,
) -> np.ndarray:
    """Normalised mel Tensor[1, 1, n_mels, F] -> float32[length] at audio.SAMPLE_RATE, seeded.

    Phase is rebuilt at the model's parameters, then the audio is resampled.
    """
    log_mel = norm.decode(x[0, 0]).clamp(math.log(ap.log_floor), 8.0)

    def step(fraction: float) -> None:
        stop_if_cancelled(cancelled, "Generation was cancelled.")
        if progress is not None:
            progress("reconstructing phase", DENOISE_SHARE + (1 - DENOISE_SHARE) * fraction)

    gen = torch.Generator().manual_seed(int(seed) + 7)
    out = vocoder.log_mel_to_audio(
        log_mel, _model_length(length, ap), generator=gen, step=step, params=ap
    )[0].numpy()
    out = audio.resample(out, ap.sample_rate, audio.SAMPLE_RATE)[:length]
    return _level(np.pad(out, (0, length - out.size)).astype(np.float32))


def _level(samples: np.ndarray) -> np.ndarray:
    """Loudness-normalise like the front end; the result is never silent unless the mel was."""
    return audio.loudness_normalise(samples)


def _length(params: Any) -> int:
    return round(params.seconds * audio.SAMPLE_RATE)


def _repaint(
    net: torch.nn.Module,
    norm: MelNorm,
    ap: audio.AudioParams,
    x_t: torch.Tensor,
    t_start: float,
    params: Any,
    length: int,
    stage: str,
    progress: Progress | None,
    cancelled: CancelCheck | None,
) -> np.ndarray:
    """Denoise x_t Tensor[1, 1, n_mels, F] from t_start to 0 and vocode it to float32[length]."""
    x0 = diffusion.ddim_sample(
        net,
        x_t,
        t_start=t_start,
        steps=_steps(params, t_start),
        progress=_stage(progress, 0.0, DENOISE_SHARE),
        cancelled=cancelled,
        stage=stage,
        window=REPAINT_WIDTH,
        overlap=REPAINT_OVERLAP,
    )
    return _vocode(x0, norm, length, params.seed, progress, cancelled, ap)


@torch.inference_mode()
def run_remix(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """Repaint one clip: strength 0 returns it (looped or cut to length), 1 ignores it."""
    length = _length(params)
    source = _fit(np.asarray(clips[0], dtype=np.float32), length)
    strength = float(params.strength)
    if strength <= 0.0:
        return source
    net, norm, ap = resolve_model(model)
    x = _mel(_to_model(source, ap), norm, ap)
    noise = _noise(x.shape, params.seed)
    x_t = diffusion.q_sample(x, torch.tensor([strength]), noise)
    return _repaint(net, norm, ap, x_t, strength, params, length, "repainting", progress, cancelled)


@torch.inference_mode()
def run_dream(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """Unconditional audio from a seed: denoise Gaussian noise from t = 1."""
    length = _length(params)
    net, norm, ap = resolve_model(model)
    frames = vocoder.n_frames(_model_length(length, ap), ap)
    noise = _noise((1, 1, ap.n_mels, frames), params.seed)
    return _repaint(net, norm, ap, noise, 1.0, params, length, "dreaming", progress, cancelled)


@torch.inference_mode()
def run_interpolate(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """Morph clip A into clip B over the whole duration (strength: how freely to repaint)."""
    length = _length(params)
    net, norm, ap = resolve_model(model)
    a = _mel(_to_model(_fit(np.asarray(clips[0], dtype=np.float32), length), ap), norm, ap)
    b = _mel(_to_model(_fit(np.asarray(clips[1], dtype=np.float32), length), ap), norm, ap)
    frames = a.shape[-1]
    ramp = torch.linspace(0.0, 1.0, frames)
    w = ramp * ramp * (3 - 2 * ramp)  # smoothstep: lingers on A and on B, moves in the middle
    strength = float(params.strength)
    if strength <= 0.0:
        return _vocode(a * (1 - w) + b * w, norm, length, params.seed, progress, cancelled, ap)
    t = torch.tensor([strength])
    noise = _noise(a.shape, params.seed)
    x_t = diffusion.slerp(diffusion.q_sample(a, t, noise), diffusion.q_sample(b, t, noise), w)
    return _repaint(net, norm, ap, x_t, strength, params, length, "morphing", progress, cancelled)


@torch.inference_mode()
def run_continue(clips, params, *, model=None, progress=None, cancelled=None) -> np.ndarray:
    """The clip followed by its continuation, ``params.seconds`` long in total.

    The U-Net outpaints CONTINUE_WIDTH-frame windows whose first
    CONTINUE_CONTEXT frames are the known past (mask channels, and imposed on
    every step). Each window does not start from pure noise but from the clip's
    last seconds, looped, noised to t = 0.5 + 0.5 * strength: that keeps the
    clip's key, timbre and pulse over minutes where a small model's free
    outpainting would drift (strength 1 is free outpainting from noise). The
    generated mel (with the clip's last seconds, for phase continuity) is
    vocoded and cross-faded onto the untouched original audio at the clip's end.
    """
    length = _length(params)
    clip = np.asarray(clips[0], dtype=np.float32)
    if len(clip) >= length:
        raise InvalidInput(
            f"Continue makes the clip longer: choose a duration above the clip's "
            f"{len(clip) / audio.SAMPLE_RATE:.1f} s."
        )
    net, norm, ap = resolve_model(model)
    t_start = 0.5 + 0.5 * float(params.strength)
    steps = _steps(params, t_start)
    # Generate at the model's rate; the original clip keeps its own (full) band.
    clip_m = _to_model(clip, ap)
    # Keep only the clip's last few seconds: that is all the windows ever see.
    tail_m = len(clip_m) - min(len(clip_m), 4 * CONTINUE_WIDTH * ap.hop)
    context = _mel(clip_m[tail_m:], norm, ap)
    known_frames = context.shape[-1] - 1  # the last frame straddles the clip's end
    total_frames = vocoder.n_frames(_model_length(length, ap) - tail_m, ap)
    buffer = context[..., :known_frames]
    new_per_window = CONTINUE_WIDTH - CONTINUE_CONTEXT
    windows = math.ceil(max(total_frames - known_frames, 1) / new_per_window)
    mask = torch.zeros(1, 1, ap.n_mels, CONTINUE_WIDTH)
    mask[..., :CONTINUE_CONTEXT] = 1.0
    for i in range(windows):
        known = torch.zeros_like(mask)
        ctx = buffer[..., -CONTINUE_CONTEXT:]
        known[..., : ctx.shape[-1]] = ctx
        win_mask = mask.clone()
        win_mask[..., ctx.shape[-1] : CONTINUE_CONTEXT] = 0.0
        # The guide: the clip's tail looped on, frame for frame, from where this window starts.
        first = buffer.shape[-1] - ctx.shape[-1]
        index = torch.arange(first, first + CONTINUE_WIDTH) % known_frames
        guide = torch.where(win_mask.bool(), known, context[..., index])
        x_t = diffusion.q_sample(
            guide, torch.tensor([t_start]), _noise(mask.shape, params.seed, offset=i)
        )
        x0 = diffusion.ddim_sample(
            net,
            x_t,
            t_start=t_start,
            steps=steps,
            known=known,
            mask=win_mask,
            cancelled=cancelled,
            progress=_stage(
                progress, DENOISE_SHARE * i / windows, DENOISE_SHARE * (i + 1) / windows
            ),
            stage=f"continuing, window {i + 1} of {windows}",
        )
        buffer = torch.cat([buffer, x0[..., ctx.shape[-1] :]], dim=-1)
    tail_start = min(len(clip), round(tail_m * audio.SAMPLE_RATE / ap.sample_rate))
    generated = _vocode(
        buffer[..., :total_frames], norm, length - tail_start, params.seed, progress, cancelled, ap
    )
    # Match the generated audio's level to the clip's, then cross-fade at the join.
    join = len(clip) - tail_start
    ref = clip[tail_start:]
    gain = 10 ** ((audio.rms_db(ref) - audio.rms_db(generated[:join])) / 20) if join else 1.0
    generated = generated * min(gain, 4.0)
    out = np.empty(length, dtype=np.float32)
    out[: len(clip)] = clip
    fade = min(CROSSFADE, join)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        a = clip[len(clip) - fade :]
        b = generated[join - fade : join]
        out[len(clip) - fade : len(clip)] = a * (1 - ramp) + b * ramp
    out[len(clip) :] = generated[join:]
    return np.clip(out, -1.0, 1.0)
