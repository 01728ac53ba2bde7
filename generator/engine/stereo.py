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

|g| is capped at 1: then no bin of either channel can be louder than twice the
mid, and the mono fold-down (L + R) / 2 is exactly the generated mid, so
stereo output always folds down to what the network made. Mono sources give
mono output. How each mode places the map (docs/engine.md):

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
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from . import audio, vocoder

SMOOTH_FRAMES = 4  # +-46 ms: long enough to estimate a ratio, short enough to follow a pan
MAX_GAIN = 1.0
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


def _smooth(x: torch.Tensor, half: int | None) -> torch.Tensor:
    """Average Tensor[frames, bins] over +-half frames, or over all frames (-> [1, bins])."""
    if half is None:
        return x.mean(dim=0, keepdim=True)
    padded = F.pad(x.T[None], (half, half), mode="replicate")
    return F.avg_pool1d(padded, 2 * half + 1, stride=1)[0].T


def width_map(samples: np.ndarray, half: int | None = SMOOTH_FRAMES) -> torch.Tensor:
    """The complex gain from mid to side: Tensor[frames, n_bins] (or [1, n_bins] long-term).

    ``half`` frames either side are averaged; None averages the whole clip.
    A mono clip has no side: its map is zero.
    """
    mid, side = mid_side(samples)
    mid_spec = vocoder.stft(torch.from_numpy(np.ascontiguousarray(mid))[None])[0]
    frames = mid_spec.shape[0] if half is not None else 1
    if side is None:
        return torch.zeros(frames, audio.DEFAULT.n_bins, dtype=torch.complex64)
    side_spec = vocoder.stft(torch.from_numpy(np.ascontiguousarray(side))[None])[0]
    mid_power = _smooth(mid_spec.abs().square(), half)
    side_power = _smooth(side_spec.abs().square(), half)
    cross = side_spec * mid_spec.conj()
    cross = torch.complex(_smooth(cross.real, half), _smooth(cross.imag, half))
    floor = 1e-6 * float(mid_power.mean()) + 1e-20
    coherent = cross / (mid_power + floor)
    diffuse = (side_power / (mid_power + floor) - coherent.abs().square()).clamp_min(0).sqrt()
    gain = coherent + diffuse * _diffuse_phase(mid_spec.shape[-1])
    return gain / gain.abs().clamp_min(MAX_GAIN)


def widen(mid: np.ndarray, gain: torch.Tensor) -> np.ndarray:
    """Mid float32[T] and a width map (frames or one row) -> float32[2, T] = mid +- side."""
    spec = vocoder.stft(torch.from_numpy(np.ascontiguousarray(mid, dtype=np.float32))[None])
    count = spec.shape[1]
    if gain.shape[0] not in (1, count):
        gain = _fit_frames(gain, count)
    side = vocoder.istft(spec * gain, mid.shape[-1])[0].numpy()
    return np.stack([mid + side, mid - side]).astype(np.float32)


def _fit_frames(gain: torch.Tensor, count: int) -> torch.Tensor:
    """Cut a per-frame map, or hold its last frame, to ``count`` frames."""
    if gain.shape[0] >= count:
        return gain[:count]
    return torch.cat([gain, gain[-1:].expand(count - gain.shape[0], -1)])


def _fit(samples: np.ndarray, length: int) -> np.ndarray:
    """Loop or cut audio (either layout) to ``length`` samples, as the trained modes do."""
    reps = math.ceil(length / samples.shape[-1])
    tiled = np.tile(samples, (1, reps) if samples.ndim == 2 else reps)
    return np.ascontiguousarray(tiled[..., :length])


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
    frames = vocoder.n_frames(length)
    if policy == ALIGNED:
        gain = width_map(_fit(clips[0], length))
    elif policy == MORPH:
        ramp = torch.linspace(0.0, 1.0, frames)[:, None]
        weight = ramp * ramp * (3 - 2 * ramp)  # the smoothstep interpolate moves along
        gains = [width_map(_fit(c, length)) for c in clips[:2]]
        gain = gains[0] * (1 - weight) + gains[1] * weight
    elif policy == CONTINUED:
        clip = clips[0]
        aligned = width_map(clip)[: vocoder.n_frames(clip.shape[-1]) - 1]
        lasting = width_map(clip, half=None)
        gain = torch.cat([aligned, lasting.expand(max(0, frames - aligned.shape[0]), -1)])
    elif policy == LONG_TERM:
        gain = width_map(clips[0], half=None)
    else:  # MIXED
        a, b = (width_map(c, half=None) for c in clips[:2])
        gain = a * (1 - strength) + b * strength
    return widen(mid, gain)
