"""Phase reconstruction: fast Griffin-Lim in torch, from STFT magnitudes or log-mel.

Why not torch.stft/istft or librosa: on this 2-core CPU torch.stft spends most
of its time in layout changes (about 8 ms for 10 s of audio), and librosa's
mel inversion spends seconds in its NNLS step. Here the STFT is framed with
``unfold`` and one batched ``rfft`` in frame-major layout [B, frames, bins],
the inverse overlap-adds by reshaping (the hop divides the window exactly), and
the mel-to-linear step is a pseudo-inverse refined by accelerated projected
gradient (FISTA), all in float32. About 1.5 ms per Griffin-Lim iteration for
10 s of audio; see docs/engine.md and benchmarks/bench_engine.py.

Parameters are an ``audio.AudioParams`` (the default: n_fft 2048, hop 512 at
44,100 Hz; Hann, centred with reflect padding), so ``stft`` here equals
``audio.stft`` transposed; every function takes ``params`` for checkpoints
trained on other parameters.
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

Params = audio.AudioParams
_EPS = 1e-12
_NNLS_FRAMES = 512  # frames the mel inversion solves at a time (cache-sized)

Step = Callable[[float], None]  # called with the fraction done, 0..1; may raise to stop


@dataclass(frozen=True)
class VocoderConfig:
    """How hard to work; the defaults beat librosa's mel_to_audio (see docs/performance.md)."""

    n_iter: int = 32  # Griffin-Lim iterations
    momentum: float = 0.99  # fast Griffin-Lim (Perraudin et al. 2013)
    mel_iter: int = 15  # preconditioned projected-gradient refinements of the pseudo-inverse
    chunk_frames: int = 128  # Griffin-Lim works on this many frames at a time (cache-sized)


DEFAULT = VocoderConfig()


@lru_cache(maxsize=8)
def _window(n_fft: int) -> torch.Tensor:
    return torch.hann_window(n_fft)


def _overlap(params: Params) -> int:
    """Frames that overlap one hop (4 for every layout we use)."""
    return params.n_fft // params.hop


@lru_cache(maxsize=4)
def _window_blocks(params: Params) -> torch.Tensor:
    """Tensor[1, overlap, hop]: the squared window cut into hop-sized blocks."""
    return _window(params.n_fft).square().reshape(1, _overlap(params), params.hop)


def n_frames(length: int, params: Params = audio.DEFAULT) -> int:
    """Frames of a centred STFT of ``length`` samples."""
    return 1 + length // params.hop


def stft(signal: torch.Tensor, params: Params = audio.DEFAULT) -> torch.Tensor:
    """Complex STFT in frame-major layout: Tensor[B, T] -> Tensor[B, frames, n_bins]."""
    n_fft = params.n_fft
    padded = F.pad(signal[:, None], (n_fft // 2, n_fft // 2), mode="reflect")[:, 0]
    frames = padded.unfold(-1, n_fft, params.hop) * _window(n_fft)
    return torch.fft.rfft(frames, dim=-1)


def _overlap_add(blocks: torch.Tensor) -> torch.Tensor:
    """Sum frames cut into hop blocks: Tensor[B, N, K, hop] -> Tensor[B, (N + K - 1) * hop]."""
    batch, count, overlap, hop = blocks.shape
    out = blocks.new_zeros(batch, count + overlap - 1, hop)
    for k in range(overlap):
        out[:, k : k + count] += blocks[:, :, k]
    return out.reshape(batch, -1)


@lru_cache(maxsize=8)
def _inverse_norm(count: int, params: Params = audio.DEFAULT) -> torch.Tensor:
    """Tensor[(count + K - 1) * hop]: 1 / sum of squared windows, for least-squares ISTFT."""
    wsum = _overlap_add(_window_blocks(params).expand(count, -1, -1)[None])[0]
    return 1.0 / wsum.clamp_min(1e-8)


def istft(spec: torch.Tensor, length: int, params: Params = audio.DEFAULT) -> torch.Tensor:
    """Least-squares inverse STFT: Tensor[B, frames, n_bins] -> Tensor[B, length]."""
    n_fft = params.n_fft
    frames = torch.fft.irfft(spec, n=n_fft, dim=-1) * _window(n_fft)
    batch, count = frames.shape[:2]
    blocks = frames.reshape(batch, count, _overlap(params), params.hop)
    signal = _overlap_add(blocks) * _inverse_norm(count, params)
    start = n_fft // 2
    return signal[:, start : start + length]


@dataclass(frozen=True)
class _MelOperators:
    """What the mel inversion multiplies by, built once per parameter set."""

    basis: torch.Tensor  # sparse [n_mels, n_bins]: every bin lies in at most two bands
    basis_t: torch.Tensor  # sparse [n_bins, n_mels]
    pinv: torch.Tensor  # dense [n_bins, n_mels]
    step: torch.Tensor  # [n_bins, 1], the diagonal preconditioner's step sizes


@lru_cache(maxsize=4)
def _mel_operators(params: Params) -> _MelOperators:
    """The mel matrix M (sparse, both ways round), its pseudo-inverse, and per-bin steps.

    Steps 1 / (M^T M 1) majorise M^T M for a non-negative M, so projected
    gradient with them converges; they are large where bands are wide (high
    frequencies), where a single global step 1 / ||M||^2 crawls.
    """
    dense = torch.from_numpy(audio.mel_filterbank(params).copy())
    pinv = torch.linalg.pinv(dense.double()).float()
    curvature = dense.T @ (dense @ torch.ones(dense.shape[1]))
    step = torch.where(curvature > 0, 1.0 / curvature.clamp_min(1e-30), 0.0)[:, None]
    return _MelOperators(
        dense.to_sparse().coalesce(), dense.T.contiguous().to_sparse().coalesce(), pinv, step
    )


@torch.inference_mode()
def mel_to_power(
    mel_power: torch.Tensor, n_iter: int = DEFAULT.mel_iter, params: Params = audio.DEFAULT
) -> torch.Tensor:
    """Non-negative least squares from mel power to linear power.

    Tensor[B, n_mels, frames] -> Tensor[B, n_bins, frames]. Starts from the
    clipped pseudo-inverse (where librosa's solver also starts, and nearly
    stays) and runs FISTA steps projected onto x >= 0 with a diagonal
    preconditioner; 15 steps cut the spectral error against the true spectrum
    by about 40 %. The mel matrix is applied sparse (two bands per bin at most),
    which is ten times cheaper than the dense product at 1025 bins.
    """
    batch, n_mels, count = mel_power.shape
    if n_mels != params.n_mels:
        raise ValueError(f"{n_mels} mel bands given; these parameters have {params.n_mels}")
    ops = _mel_operators(params)
    target = mel_power.transpose(0, 1).reshape(n_mels, batch * count)  # frames of all items
    # Frames are independent: solve a cache-sized slice of them at a time.
    solved = [_nnls(ops, part, n_iter) for part in target.split(_NNLS_FRAMES, dim=1)]
    return torch.cat(solved, dim=1).reshape(params.n_bins, batch, count).transpose(0, 1)


def _nnls(ops: _MelOperators, target: torch.Tensor, n_iter: int) -> torch.Tensor:
    """FISTA for min ||M x - target||^2, x >= 0: Tensor[n_mels, N] -> Tensor[n_bins, N]."""
    x = (ops.pinv @ target).clamp_min_(0)
    y, t = x, 1.0
    for _ in range(n_iter):
        residual = torch.sparse.mm(ops.basis, y).sub_(target)
        x_next = y.addcmul(ops.step, torch.sparse.mm(ops.basis_t, residual), value=-1.0)
        x_next.clamp_min_(0)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y = x_next.lerp(x, -(t - 1) / t_next)  # x_next + (t - 1) / t_next * (x_next - x)
        x, t = x_next, t_next
    return x


@torch.inference_mode()
def griffin_lim(
    magnitude: torch.Tensor,
    length: int | None = None,
    *,
    config: VocoderConfig = DEFAULT,
    generator: torch.Generator | None = None,
    step: Step | None = None,
    params: Params = audio.DEFAULT,
) -> torch.Tensor:
    """Fast Griffin-Lim: Tensor[B, n_bins, frames] magnitudes -> Tensor[B, T] audio.

    Random initial phase from ``generator`` (seeded by the caller, so the result
    is reproducible); momentum as in librosa.griffinlim, which is Perraudin's
    fast Griffin-Lim. ``step`` is called after every iteration with the
    fraction done.
    """
    mag = magnitude.transpose(-1, -2).contiguous()  # [B, frames, n_bins]
    batch, count = mag.shape[:2]
    n_fft, hop, overlap = params.n_fft, params.hop, _overlap(params)
    if length is None:
        length = (count - 1) * hop
    window = _window(n_fft)
    norm = _inverse_norm(count, params).reshape(-1, hop)  # per hop block of the padded signal
    phase = torch.rand(mag.shape, generator=generator) * (2 * math.pi)
    spec = torch.polar(mag, phase)
    following = torch.empty_like(spec)
    previous = torch.zeros_like(spec)
    beta = config.momentum / (1 + config.momentum)
    reach = overlap - 1  # frames either side that share a hop block with a frame
    for i in range(config.n_iter):
        # Project onto consistent spectrograms, ISTFT then STFT, a chunk of frames at a
        # time so the working set stays in cache (a minute of audio is 42 MB a tensor and
        # ran three times slower per second than ten seconds). Each chunk reads the
        # frames that overlap it from this iteration's spectrogram and writes the next
        # one. The padded edges stay free (no reflection each time), which saves two
        # copies and changes nothing inside the output's span.
        for start in range(0, count, config.chunk_frames):
            stop = min(count, start + config.chunk_frames)
            lo, hi = max(0, start - reach), min(count, stop + reach)
            frames = torch.fft.irfft(spec[:, lo:hi], n=n_fft, dim=-1).mul_(window)
            blocks = _overlap_add(frames.reshape(batch, hi - lo, overlap, hop))
            blocks = blocks.reshape(batch, -1, hop)[:, start - lo : stop - lo + reach]
            padded = blocks.mul_(norm[start : stop + reach]).reshape(batch, -1)
            rebuilt = torch.fft.rfft(padded.unfold(-1, n_fft, hop) * window, dim=-1)
            angles = torch.sub(rebuilt, previous[:, start:stop], alpha=beta).sgn_()
            previous[:, start:stop] = rebuilt
            torch.mul(angles, mag[:, start:stop], out=following[:, start:stop])
        spec, following = following, spec
        if step is not None:
            step((i + 1) / config.n_iter)
    return istft(spec, length, params)


def log_mel_to_audio(
    log_mel: torch.Tensor,
    length: int | None = None,
    *,
    config: VocoderConfig = DEFAULT,
    generator: torch.Generator | None = None,
    step: Step | None = None,
    params: Params = audio.DEFAULT,
) -> torch.Tensor:
    """Invert audio.log_mel: Tensor[B, n_mels, frames] (or [n_mels, frames]) -> Tensor[B, T]."""
    batched = log_mel if log_mel.dim() == 3 else log_mel[None]
    power = mel_to_power(batched.float().exp(), config.mel_iter, params)
    return griffin_lim(
        power.sqrt(), length, config=config, generator=generator, step=step, params=params
    )


@torch.inference_mode()
def spectral_convergence(
    signal: torch.Tensor | np.ndarray, reference: torch.Tensor, params: Params = audio.DEFAULT
) -> float:
    """|| |STFT(signal)| - reference ||_F / ||reference||_F (lower is better).

    ``signal``: Tensor[T]; ``reference``: magnitudes Tensor[n_bins, frames].
    The standard Griffin-Lim convergence figure; the STFT is trimmed to the
    shorter of the two in frames.
    """
    mag = magnitude(signal, params)
    count = min(mag.shape[-1], reference.shape[-1])
    ref = reference[..., :count]
    return float((mag[..., :count] - ref).norm() / ref.norm().clamp_min(_EPS))


def magnitude(signal: torch.Tensor | np.ndarray, params: Params = audio.DEFAULT) -> torch.Tensor:
    """|STFT|: Tensor[T] -> Tensor[n_bins, frames]."""
    return stft(torch.as_tensor(signal, dtype=torch.float32).reshape(1, -1), params)[0].abs().T


# Window lengths of the multi-resolution distance, in seconds (about 12, 23 and 46 ms, i.e.
# 512, 1024 and 2048 samples at 44.1 kHz), each with a quarter-window hop.
MRSTFT_SECONDS = (512 / 44_100, 1024 / 44_100, 2048 / 44_100)


@torch.inference_mode()
def multi_resolution_stft_distance(
    signal: torch.Tensor | np.ndarray,
    reference: torch.Tensor | np.ndarray,
    sample_rate: int = audio.SAMPLE_RATE,
) -> float:
    """Multi-resolution STFT distance between two waveforms (lower is better; 0 is identical).

    The mean over three window lengths of spectral convergence plus the mean
    absolute log-magnitude difference over an 80 dB range (the multi-resolution
    STFT loss of Yamamoto et al. 2020). Phase that is wrong for its neighbours shows up at
    the resolutions the vocoder did not fit, which single-resolution
    convergence and embedding metrics cannot hear. Tensor[T], Tensor[T].
    """
    x = torch.as_tensor(signal, dtype=torch.float32).reshape(1, -1)
    y = torch.as_tensor(reference, dtype=torch.float32).reshape(1, -1)
    length = min(x.shape[-1], y.shape[-1])
    x, y = x[:, :length], y[:, :length]
    total = 0.0
    for seconds in MRSTFT_SECONDS:
        n_fft = 1 << round(math.log2(seconds * sample_rate))
        layout = audio.AudioParams(
            sample_rate=sample_rate, n_fft=n_fft, hop=n_fft // 4, n_mels=1, f_max=sample_rate / 2
        )
        mag_x, mag_y = stft(x, layout).abs(), stft(y, layout).abs()
        convergence = (mag_x - mag_y).norm() / mag_y.norm().clamp_min(_EPS)
        # Levels more than 80 dB below the reference's loudest bin count as equal (silence,
        # an empty band above a low-rate source's Nyquist), as in the spectrogram images.
        floor = float(mag_y.max()) * 1e-4 + _EPS
        log_distance = (mag_x.clamp_min(floor).log() - mag_y.clamp_min(floor).log()).abs().mean()
        total += float(convergence + log_distance)
    return total / len(MRSTFT_SECONDS)


def warm_up() -> float:
    """Run every path once on a second of noise so a worker's first job pays no start-up cost.

    Returns the seconds it took. Call once per process (workers do at start).
    """
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    # The engine's parameters, and the first release's, which the shipped networks still use.
    for params in (audio.DEFAULT, audio.FIRST_RELEASE):
        noise = torch.randn(1, params.sample_rate, generator=generator) * 0.1
        mel = audio.log_mel(noise, params)
        log_mel_to_audio(mel, noise.shape[-1], generator=generator, params=params)
    elapsed = time.perf_counter() - start
    log.info("vocoder warmed up in %.2f s", elapsed)
    return elapsed
