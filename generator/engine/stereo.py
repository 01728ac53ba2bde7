"""Stereo output from mono networks: mid/side, with the side derived from the source.

The networks and the texture engine make one channel, the mid (L + R) / 2.
A stereo source's image is carried over to that mid as a width map: for every
STFT bin (and, where the output follows the source in time, every frame) a
complex gain g with side = g * mid. It has two parts, both measured on the
source over a short window (``SMOOTH_FRAMES`` either side):

- the coherent part <S M*> / <|M|^2>, the side that the mid predicts: how far
  and in which phase each frequency is panned;
- the diffuse part, the side energy the mid does not predict (room, wide
  reverb), given a fixed random phase per bin so it decorrelates L from R.

The fold-down (L + R) / 2 is always exactly the generated mid, so stereo output
folds down to what the network made; |g| is capped at 1, so no bin of either
channel is louder than twice the mid and the fold-down keeps at least half the
channels' power. Mono sources give mono output. Audio is processed in blocks of
about 20 s with enough context that the result does not depend on where they
fall, which bounds memory for long clips. How each mode places the map
(docs/engine.md):

- remix: aligned frame by frame with the source (looped or cut to length, as
  the mode does with the audio);
- continue: aligned over the clip, then the clip's long-term width;
- interpolate: A's aligned map blending into B's along the same smoothstep;
- variation: the clip's long-term width (the output does not follow the
  source in time); style: A's and B's long-term widths mixed by strength;
- dream (no clip) and any other mode: mono.

No Django imports. Shapes: audio float32[T] (mono) or float32[2, T] (L, R).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from . import audio, vocoder

SMOOTH_FRAMES = 4  # +-46 ms: long enough to estimate a ratio, short enough to follow a pan
MAX_GAIN = 1.0
# Samples worked on at once (about 20 s; whole hops, so every block shares one frame grid).
BLOCK = 20 * audio.SAMPLE_RATE // audio.HOP * audio.HOP
PAD = audio.N_FFT + (SMOOTH_FRAMES + 1) * audio.HOP  # context read on either side of a block
_DIFFUSE_SEED = 20_240_117  # the decorrelating phases are fixed, not part of the user's seed

ALIGNED, CONTINUED, MORPH, LONG_TERM, MIXED = "aligned", "continued", "morph", "long-term", "mixed"
POLICIES = {
    "remix": ALIGNED,
    "continue": CONTINUED,
    "interpolate": MORPH,
    "variation": LONG_TERM,
    "style": MIXED,
}


def is_stereo(samples: np.ndarray) -> bool:
    return samples.ndim == 2 and samples.shape[0] == 2


def mid_side(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """float32[2, T] -> (mid[T], side[T]); mono float32[T] -> (samples, None)."""
    if not is_stereo(samples):
        return samples, None
    left, right = samples[0], samples[1]
    return 0.5 * (left + right), 0.5 * (left - right)


@lru_cache(maxsize=2)
def _diffuse_phase(n_bins: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(_DIFFUSE_SEED)
    return torch.polar(torch.ones(n_bins), torch.rand(n_bins, generator=gen) * (2 * math.pi))


def _blocks(length: int) -> list[tuple[int, int, int, int]]:
    """(start, stop, lo, hi): blocks of at most BLOCK samples, each read with PAD of context.

    Working block by block bounds memory for long clips (a 600 s STFT alone is
    over 400 MB); the context covers the STFT window and the smoothing, so the
    result does not depend on where the blocks fall.
    """
    starts = list(range(0, max(length, 1), BLOCK))
    if len(starts) > 1 and length - starts[-1] < PAD:
        starts.pop()  # a short remainder joins the block before it (an STFT needs a window)
    stops = [*starts[1:], length]
    return [
        (start, stop, max(0, start - PAD), min(length, stop + PAD))
        for start, stop in zip(starts, stops, strict=True)
    ]


def _spectra(samples: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """STFTs of the mid and side of float32[2, T]: each Tensor[frames, n_bins]."""
    mid, side = mid_side(samples)
    pair = torch.from_numpy(np.ascontiguousarray(np.stack([mid, side]), dtype=np.float32))
    spec = vocoder.stft(pair)
    return spec[0], spec[1]


def _moments(samples: np.ndarray) -> tuple[torch.Tensor, ...]:
    """|M|^2, |S|^2 and the real and imaginary parts of S M*, per frame: Tensor[frames, n_bins]."""
    mid, side = _spectra(samples)
    cross = side * mid.conj()
    return mid.abs().square(), side.abs().square(), cross.real, cross.imag


def _pooled(parts: tuple[torch.Tensor, ...], half: int) -> tuple[torch.Tensor, ...]:
    """Each Tensor[frames, n_bins] averaged over +-half frames."""
    pooled = []
    for part in parts:
        padded = F.pad(part.T[None], (half, half), mode="replicate")
        pooled.append(F.avg_pool1d(padded, 2 * half + 1, stride=1)[0].T)
    return tuple(pooled)


def _gain(mid_power, side_power, cross_re, cross_im) -> torch.Tensor:
    """The capped complex mid-to-side gain from smoothed moments (see the module docstring)."""
    floor = 1e-6 * float(mid_power.mean()) + 1e-20
    coherent = torch.complex(cross_re, cross_im) / (mid_power + floor)
    diffuse = (side_power / (mid_power + floor) - coherent.abs().square()).clamp_min(0).sqrt()
    gain = coherent + diffuse * _diffuse_phase(mid_power.shape[-1])
    return gain / gain.abs().clamp_min(MAX_GAIN)


def width_map(samples: np.ndarray, half: int | None = SMOOTH_FRAMES) -> torch.Tensor:
    """The complex gain from mid to side: Tensor[frames, n_bins] (or [1, n_bins] long-term).

    ``half`` frames either side are averaged (one block of audio at a time is
    what callers pass); None averages the whole clip, block by block. A mono
    clip has no side: its map is zero.
    """
    n_bins = audio.DEFAULT.n_bins
    if not is_stereo(samples):
        frames = 1 if half is None else vocoder.n_frames(samples.shape[-1])
        return torch.zeros(frames, n_bins, dtype=torch.complex64)
    if half is not None:
        return _gain(*_pooled(_moments(samples), half))
    # Summed block by block over the frames centred in each block, as one STFT would give.
    length = samples.shape[-1]
    totals = [torch.zeros(1, n_bins) for _ in range(4)]
    for start, stop, lo, hi in _blocks(length):
        parts = _moments(samples[:, lo:hi])
        centres = lo + torch.arange(parts[0].shape[0]) * audio.HOP
        mine = (centres >= start) & ((centres < stop) | (stop == length))
        for total, part in zip(totals, parts, strict=True):
            total += part[mine].sum(dim=0, keepdim=True)
    return _gain(*totals)


def _side(mid: np.ndarray, gain: torch.Tensor) -> np.ndarray:
    """Side float32[T] = ISTFT(STFT(mid) x gain), gain Tensor[frames or 1, n_bins]."""
    spec = vocoder.stft(torch.from_numpy(np.ascontiguousarray(mid, dtype=np.float32))[None])
    return vocoder.istft(spec * gain, mid.shape[-1])[0].numpy()


def _fit_frames(gain: torch.Tensor, count: int) -> torch.Tensor:
    """Cut a per-frame map, or hold its last frame, to ``count`` frames."""
    if gain.shape[0] in (1, count):
        return gain
    if gain.shape[0] > count:
        return gain[:count]
    return torch.cat([gain, gain[-1:].expand(count - gain.shape[0], -1)])


def _fit(samples: np.ndarray, length: int) -> np.ndarray:
    """Loop or cut audio (either layout) to ``length`` samples, as the trained modes do."""
    reps = math.ceil(length / samples.shape[-1])
    tiled = np.tile(samples, (1, reps) if samples.ndim == 2 else reps)
    return np.ascontiguousarray(tiled[..., :length])


GainAt = Callable[[int, int], torch.Tensor]  # (lo, hi) samples of the output -> gain map


def _placement(policy: str, clips: Sequence[np.ndarray], length: int, strength: float) -> GainAt:
    """How a policy finds the gain map for the output samples lo..hi (see POLICIES)."""
    if policy == LONG_TERM:
        lasting = width_map(clips[0], half=None)
        return lambda lo, hi: lasting
    if policy == MIXED:
        a, b = (width_map(c, half=None) for c in clips[:2])
        mixed = a * (1 - strength) + b * strength
        return lambda lo, hi: mixed
    if policy == ALIGNED:
        source = _fit(clips[0], length)
        return lambda lo, hi: width_map(source[..., lo:hi])
    if policy == MORPH:
        a, b = (_fit(c, length) for c in clips[:2])

        def morph(lo: int, hi: int) -> torch.Tensor:
            where = (lo + torch.arange(vocoder.n_frames(hi - lo)) * audio.HOP) / max(length, 1)
            ramp = where.clamp(0, 1)[:, None]
            weight = ramp * ramp * (3 - 2 * ramp)  # the smoothstep interpolate moves along
            return width_map(a[..., lo:hi]) * (1 - weight) + width_map(b[..., lo:hi]) * weight

        return morph
    clip = clips[0]  # CONTINUED: aligned over the clip, its long-term width after it
    end = min(clip.shape[-1], length)
    lasting = width_map(clip, half=None)
    source = np.zeros((*clip.shape[:-1], length), dtype=np.float32)
    source[..., :end] = clip[..., :end]

    def continued(lo: int, hi: int) -> torch.Tensor:
        after = (lo + torch.arange(vocoder.n_frames(hi - lo)) * audio.HOP >= end)[:, None]
        return torch.where(after, lasting, width_map(source[..., lo:hi]))

    return continued


def restore(
    mode: str, clips: Sequence[np.ndarray], mid: np.ndarray, strength: float = 0.5
) -> np.ndarray:
    """Give a mode's mono output the stereo image of its stereo source(s), as POLICIES says.

    Returns ``mid`` unchanged (float32[T]) when no clip is stereo or the mode
    has no policy; otherwise float32[2, T] whose fold-down is ``mid``.
    """
    policy = POLICIES.get(mode)
    if policy is None or not any(is_stereo(c) for c in clips):
        return mid
    length = mid.shape[-1]
    gain_at = _placement(policy, clips, length, strength)
    side = np.empty_like(mid)
    for start, stop, lo, hi in _blocks(length):
        gain = _fit_frames(gain_at(lo, hi), vocoder.n_frames(hi - lo))
        side[start:stop] = _side(mid[lo:hi], gain)[start - lo : stop - lo]
    return np.stack([mid + side, mid - side]).astype(np.float32)
