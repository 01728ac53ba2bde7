"""Phase reconstruction: fast Griffin-Lim in torch, from STFT magnitudes or log-mel.

Why not torch.stft/istft or librosa: on this 2-core CPU torch.stft spends most
of its time in layout changes (about 8 ms for 10 s of audio), and librosa's
mel inversion spends seconds in its NNLS step. Here the STFT is framed with
``unfold`` and one batched ``rfft`` in frame-major layout [B, frames, bins],
the inverse overlap-adds by reshaping (the hop divides the window exactly), and
the mel-to-linear step is a pseudo-inverse refined by accelerated projected
gradient (FISTA), all in float32. About 1.5 ms per Griffin-Lim iteration for
10 s of audio; see docs/engine.md and benchmarks/bench_engine.py.

Parameters are those of generator.engine.audio (n_fft 1024, hop 256, Hann, centred
with reflect padding), so ``stft`` here equals ``audio.stft`` transposed.

Long spectrograms are inverted block by block (``VocoderConfig.block_frames``)
so memory stays that of one block whatever the length: each block starts with
the last few frames of the one before, their phase held fixed, and runs a few
frames past what it keeps, so the phase carries across the join. A spectrogram
that fits one block is inverted in one go, exactly as before blocks existed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from . import audio

log = logging.getLogger(__name__)

N_FFT = audio.N_FFT
HOP = audio.HOP
N_BINS = N_FFT // 2 + 1
_OVERLAP = N_FFT // HOP  # frames that overlap one hop; 4
_EPS = 1e-12

Step = Callable[[float], None]  # called with the fraction done, 0..1; may raise to stop


@dataclass(frozen=True)
class VocoderConfig:
    """How hard to work; the defaults beat librosa's mel_to_audio (see docs/performance.md)."""

    n_iter: int = 32  # Griffin-Lim iterations
    momentum: float = 0.99  # fast Griffin-Lim (Perraudin et al. 2013)
    mel_iter: int = 30  # projected-gradient refinements of the mel pseudo-inverse
    block_frames: int = 1024  # longest span inverted at once (11.9 s)
    block_context: int = 8  # frames of the previous block whose phase a block keeps
    block_lookahead: int = 16  # frames past its end a block also shapes, then drops


DEFAULT = VocoderConfig()


@lru_cache(maxsize=1)
def _window() -> torch.Tensor:
    return torch.hann_window(N_FFT)


@lru_cache(maxsize=1)
def _window_blocks() -> torch.Tensor:
    """Tensor[1, _OVERLAP, HOP]: the squared window cut into hop-sized blocks."""
    return _window().square().reshape(1, _OVERLAP, HOP)


def n_frames(length: int) -> int:
    """Frames of a centred STFT of ``length`` samples."""
    return 1 + length // HOP


def stft(signal: torch.Tensor) -> torch.Tensor:
    """Complex STFT in frame-major layout: Tensor[B, T] -> Tensor[B, frames, N_BINS]."""
    padded = F.pad(signal[:, None], (N_FFT // 2, N_FFT // 2), mode="reflect")[:, 0]
    frames = padded.unfold(-1, N_FFT, HOP) * _window()
    return torch.fft.rfft(frames, dim=-1)


def _overlap_add(blocks: torch.Tensor) -> torch.Tensor:
    """Sum frames cut into hop blocks: Tensor[B, N, _OVERLAP, HOP] -> Tensor[B, (N + 3) * HOP]."""
    batch, count = blocks.shape[:2]
    out = blocks.new_zeros(batch, count + _OVERLAP - 1, HOP)
    for k in range(_OVERLAP):
        out[:, k : k + count] += blocks[:, :, k]
    return out.reshape(batch, -1)


@lru_cache(maxsize=8)
def _inverse_norm(count: int) -> torch.Tensor:
    """Tensor[(count + 3) * HOP]: 1 / sum of squared windows, for least-squares ISTFT."""
    wsum = _overlap_add(_window_blocks().expand(count, -1, -1)[None])[0]
    return 1.0 / wsum.clamp_min(1e-8)


def istft(spec: torch.Tensor, length: int) -> torch.Tensor:
    """Least-squares inverse STFT: Tensor[B, frames, N_BINS] -> Tensor[B, length]."""
    frames = torch.fft.irfft(spec, n=N_FFT, dim=-1) * _window()
    batch, count = frames.shape[:2]
    signal = _overlap_add(frames.reshape(batch, count, _OVERLAP, HOP)) * _inverse_norm(count)
    start = N_FFT // 2
    return signal[:, start : start + length]


@lru_cache(maxsize=2)
def _mel_operators(n_mels: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The mel matrix M [n_mels, N_BINS], its pseudo-inverse [N_BINS, n_mels], and 1/||M||^2."""
    basis = torch.from_numpy(audio.mel_filterbank(n_mels).copy())
    pinv = torch.linalg.pinv(basis.double()).float()
    lipschitz = float(torch.linalg.matrix_norm(basis.double(), ord=2) ** 2)
    return basis, pinv, 1.0 / lipschitz


@torch.inference_mode()
def mel_to_power(mel_power: torch.Tensor, n_iter: int = DEFAULT.mel_iter) -> torch.Tensor:
    """Non-negative least squares from mel power to linear power.

    Tensor[B, n_mels, frames] -> Tensor[B, N_BINS, frames]. Starts from the
    clipped pseudo-inverse (where librosa's solver also starts, and nearly
    stays) and runs FISTA steps projected onto x >= 0; 30 steps cut the
    spectral error against the true spectrum by about a third.
    """
    basis, pinv, step = _mel_operators(mel_power.shape[-2])
    target = mel_power.transpose(-1, -2)  # [B, frames, n_mels]
    x = (target @ pinv.T).clamp_min_(0)
    y, t = x, 1.0
    for _ in range(n_iter):
        grad = (y @ basis.T - target) @ basis
        x_next = (y - step * grad).clamp_min_(0)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y = x_next + ((t - 1) / t_next) * (x_next - x)
        x, t = x_next, t_next
    return x.transpose(-1, -2)


@torch.inference_mode()
def griffin_lim(
    magnitude: torch.Tensor,
    length: int | None = None,
    *,
    config: VocoderConfig = DEFAULT,
    generator: torch.Generator | None = None,
    step: Step | None = None,
) -> torch.Tensor:
    """Fast Griffin-Lim: Tensor[B, N_BINS, frames] magnitudes -> Tensor[B, T] audio.

    Random initial phase from ``generator`` (seeded by the caller, so the result
    is reproducible); momentum as in librosa.griffinlim, which is Perraudin's
    fast Griffin-Lim. ``step`` is called after every iteration with the
    fraction done.
    """
    mag = magnitude.transpose(-1, -2).contiguous()  # [B, frames, N_BINS]
    if length is None:
        length = (mag.shape[1] - 1) * HOP
    angles = _random_angles(mag, generator)
    return istft(mag * _iterate(mag, angles, config, step), length)


def _random_angles(mag: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    phase = torch.rand(mag.shape, generator=generator) * (2 * math.pi)
    return torch.polar(torch.ones_like(mag), phase)


def _iterate(
    mag: torch.Tensor,
    angles: torch.Tensor,
    config: VocoderConfig,
    step: Step | None,
    locked: int = 0,
) -> torch.Tensor:
    """Griffin-Lim iterations on Tensor[B, frames, N_BINS]; the first ``locked`` frames keep
    their given phase. Returns the final unit phases."""
    batch, count = mag.shape[:2]
    window = _window()
    norm = _inverse_norm(count)
    fixed = angles[:, :locked].clone()
    previous = torch.zeros_like(angles)
    spec = torch.empty_like(angles)
    beta = config.momentum / (1 + config.momentum)
    for i in range(config.n_iter):
        # Project onto consistent spectrograms: ISTFT then STFT. The padded
        # edges stay free (no reflection each time), which saves two copies
        # and changes nothing inside the output's span.
        torch.mul(angles, mag, out=spec)
        frames = torch.fft.irfft(spec, n=N_FFT, dim=-1).mul_(window)
        padded = _overlap_add(frames.reshape(batch, count, _OVERLAP, HOP)).mul_(norm)
        rebuilt = torch.fft.rfft(padded.unfold(-1, N_FFT, HOP) * window, dim=-1)
        angles = torch.sub(rebuilt, previous, alpha=beta).sgn_()
        if locked:
            angles[:, :locked] = fixed
        previous = rebuilt
        if step is not None:
            step((i + 1) / config.n_iter)
    return angles


def log_mel_to_audio(
    log_mel: torch.Tensor,
    length: int | None = None,
    *,
    config: VocoderConfig = DEFAULT,
    generator: torch.Generator | None = None,
    step: Step | None = None,
) -> torch.Tensor:
    """Invert audio.log_mel: Tensor[B, n_mels, frames] (or [n_mels, frames]) -> Tensor[B, T].

    Spectrograms longer than ``config.block_frames`` are inverted block by block.
    """
    batched = log_mel if log_mel.dim() == 3 else log_mel[None]
    if batched.shape[-1] <= config.block_frames:
        power = mel_to_power(batched.float().exp(), config.mel_iter)
        return griffin_lim(power.sqrt(), length, config=config, generator=generator, step=step)
    return _blockwise(batched, length, config, generator, step)


@torch.inference_mode()
def _blockwise(
    log_mel: torch.Tensor,
    length: int | None,
    config: VocoderConfig,
    generator: torch.Generator | None,
    step: Step | None,
) -> torch.Tensor:
    """Invert Tensor[B, n_mels, frames] in blocks; only the result grows with the length.

    Block k keeps frames [k * kept, (k + 1) * kept). It also takes the last
    ``block_context`` kept frames of block k - 1 with their final phase held
    fixed, and shapes ``block_lookahead`` frames past its own end, so the frames
    it keeps were made knowing both neighbours. The kept frames are
    overlap-added into the output as they come.
    """
    batch, _, count = log_mel.shape
    if length is None:
        length = (count - 1) * HOP
    context, ahead = config.block_context, config.block_lookahead
    kept = config.block_frames - context - ahead
    blocks = math.ceil(count / kept)
    out = log_mel.new_zeros(batch, (count + _OVERLAP - 1) * HOP)
    wsum = log_mel.new_zeros(1, (count + _OVERLAP - 1) * HOP)
    carried = None  # final phase of the previous block's last kept frames
    for k in range(blocks):
        first, last = k * kept, min((k + 1) * kept, count)
        start, stop = max(first - context, 0), min(last + ahead, count)
        power = mel_to_power(log_mel[..., start:stop].float().exp(), config.mel_iter)
        mag = power.sqrt().transpose(-1, -2).contiguous()
        angles = _random_angles(mag, generator)
        locked = first - start
        if locked:
            angles[:, :locked] = carried
        sub = None if step is None else (lambda f, k=k: step((k + f) / blocks))
        angles = _iterate(mag, angles, config, sub, locked)
        keep = slice(locked, locked + last - first)
        carried = angles[:, keep][:, -context:].clone()
        frames = torch.fft.irfft(mag[:, keep] * angles[:, keep], n=N_FFT, dim=-1) * _window()
        span = slice(first * HOP, (last + _OVERLAP - 1) * HOP)
        out[:, span] += _overlap_add(frames.reshape(batch, last - first, _OVERLAP, HOP))
        wsum[:, span] += _overlap_add(_window_blocks().expand(last - first, -1, -1)[None])
    start = N_FFT // 2
    return (out / wsum.clamp_min(1e-8))[:, start : start + length]


@torch.inference_mode()
def spectral_convergence(signal: torch.Tensor | np.ndarray, reference: torch.Tensor) -> float:
    """|| |STFT(signal)| - reference ||_F / ||reference||_F (lower is better).

    ``signal``: Tensor[T]; ``reference``: magnitudes Tensor[N_BINS, frames].
    The standard Griffin-Lim convergence figure; the STFT is trimmed to the
    shorter of the two in frames.
    """
    mag = stft(torch.as_tensor(signal, dtype=torch.float32).reshape(1, -1))[0].abs().T
    count = min(mag.shape[-1], reference.shape[-1])
    ref = reference[..., :count]
    return float((mag[..., :count] - ref).norm() / ref.norm().clamp_min(_EPS))


def magnitude(signal: torch.Tensor | np.ndarray) -> torch.Tensor:
    """|STFT|: Tensor[T] -> Tensor[N_BINS, frames]."""
    return stft(torch.as_tensor(signal, dtype=torch.float32).reshape(1, -1))[0].abs().T


def warm_up() -> float:
    """Run every path once on a second of noise so a worker's first job pays no start-up cost.

    Returns the seconds it took. Call once per process (workers do at start).
    """
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(1, audio.SAMPLE_RATE, generator=generator) * 0.1
    log_mel_to_audio(audio.log_mel(noise), noise.shape[-1], generator=generator)
    elapsed = time.perf_counter() - start
    log.info("vocoder warmed up in %.2f s", elapsed)
    return elapsed
