"""Sample the music network at any length: overlapping windows that agree.

A piece longer than the network's window (544 frames, 6.3 s) is made window by
window from left to right. Each window overlaps what already exists by
``context`` frames, which it receives as known input (mask channels) and has
imposed on every denoising step, so the new frames continue the old ones
instead of being stitched to them. The same loop serves every mode: frames
that are known from the start (the prompt of continue, everything outside the
span of "replace a section") are never changed, and a window is only sampled
where unknown frames remain. Windows start from pure seeded noise (no guide
made of the prompt's looped tail: that made continue replay its prompt).

Conditioning per window: the beat/bar/position channels of the whole piece's
grid (rhythm.frame_features), so every window agrees on where the bars are,
and the style weights with classifier-free guidance
(v = v_uncond + g (v_cond - v_uncond), both in one batched forward pass).

Progress is reported per window and step, and ``cancelled`` is checked before
every network call. Same inputs and seed, same output. No Django imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from generator.engine import precision, rhythm
from generator.engine.diffusion import alpha_sigma

Progress = Callable[[str, float], None]
Cancelled = Callable[[], bool]

CONTEXT = 192  # frames (2.2 s) a window shares with what exists before it


@dataclass(frozen=True)
class Conditioning:
    """What every window is told: the piece's beat grid, its length, and the style."""

    grid: rhythm.Grid
    total: int  # frames of the whole piece (position 1 at its last frame)
    style: torch.Tensor  # Tensor[n_styles]; zeros = no style
    guidance: float = 1.0
    offset: int = 0  # frames of the piece before the first frame sampled


def style_vector(labels: Sequence[str], styles: Sequence[str]) -> torch.Tensor:
    """Style labels -> weights Tensor[n_styles] summing to 1 (zeros when none); ValueError if
    a label is unknown."""
    out = torch.zeros(len(styles))
    for label in labels:
        if label not in styles:
            raise ValueError(f"unknown style {label!r}; known: {', '.join(styles)}")
        out[list(styles).index(label)] = 1.0
    return out / out.sum() if out.sum() > 0 else out


def _pad(x: torch.Tensor, multiple: int) -> torch.Tensor:
    extra = (-x.shape[-1]) % multiple
    return F.pad(x, (0, extra), mode="replicate") if extra else x


def predict_v(
    net: torch.nn.Module,
    x: torch.Tensor,
    t: torch.Tensor,
    known: torch.Tensor,
    mask: torch.Tensor,
    frames: torch.Tensor,
    style: torch.Tensor,
    guidance: float,
) -> torch.Tensor:
    """Guided v for x Tensor[1, 1, M, W]; known/mask alike; frames Tensor[5, W]; style [S]."""
    width = x.shape[-1]
    multiple = net.multiple
    flat = [_pad(a[0, 0], multiple)[None, None] for a in (x, known, mask)]
    fr = _pad(frames, multiple)[None]
    guided = bool(style.sum() > 0) and guidance != 1.0
    batch = 2 if guided else 1
    styles = torch.stack([style, torch.zeros_like(style)])[:batch]
    with precision.autocast():
        v = net(
            *(a.expand(batch, -1, -1, -1) for a in flat),
            t.expand(batch),
            fr.expand(batch, -1, -1),
            styles,
        ).float()
    v = v[0:1] if not guided else v[1:2] + guidance * (v[0:1] - v[1:2])
    return v[..., :width]


def ddim_window(
    net: torch.nn.Module,
    noise: torch.Tensor,
    known: torch.Tensor,
    mask: torch.Tensor,
    frames: torch.Tensor,
    cond: Conditioning,
    steps: int,
    report: Callable[[float], None],
    cancelled: Cancelled | None,
) -> torch.Tensor:
    """Denoise one window from t = 1 with the known frames imposed: Tensor[1, 1, M, W]."""
    times = torch.linspace(1.0, 0.0, steps + 1)
    x, x0 = noise, noise
    for i in range(steps):
        if cancelled is not None and cancelled():
            from generator.engine.errors import Cancelled as CancelledError

            raise CancelledError("Generation was cancelled.")
        t, s = times[i : i + 1], times[i + 1 : i + 2]
        v = predict_v(net, x, t, known, mask, frames, cond.style, cond.guidance)
        alpha, sigma = alpha_sigma(t)
        x0 = (alpha * x - sigma * v).clamp(-4.0, 4.0)
        eps = sigma * x + alpha * v
        x0 = mask * known + (1 - mask) * x0
        alpha_s, sigma_s = alpha_sigma(s)
        x = alpha_s * x0 + sigma_s * eps
        report((i + 1) / steps)
    return x0


def plan(known: torch.Tensor, window: int, context: int = CONTEXT) -> list[int]:
    """Start frames of the windows needed to fill every unknown frame (bool Tensor[F]).

    A window reaches back at most ``context`` frames and never more than
    3/8 of its width, so each one makes new frames.
    """
    context = min(context, (3 * window) // 8)
    done = known.clone()
    total = done.numel()
    starts = []
    while not bool(done.all()):
        first = int((~done).nonzero()[0])
        start = max(0, min(first - context, total - window))
        starts.append(start)
        done[start : start + window] = True
    return starts


def fill(
    net: torch.nn.Module,
    x: torch.Tensor,
    known: torch.Tensor,
    cond: Conditioning,
    *,
    seed: int,
    steps: int,
    window: int,
    context: int = CONTEXT,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    stage: str = "dreaming",
) -> torch.Tensor:
    """Fill the unknown frames of x Tensor[1, 1, M, F] (known: bool Tensor[F]) window by window.

    Known frames come back exactly as given. Window k's noise is drawn from a
    generator seeded with (seed, k), so the result depends on nothing else.
    """
    x = x.clone()
    done = known.clone()
    total = x.shape[-1]
    width = min(window, total)
    starts = plan(known, width, context)
    for k, start in enumerate(starts):
        end = start + width
        mask = done[start:end].float().view(1, 1, 1, -1).expand(1, 1, x.shape[2], -1)
        frames = rhythm.frame_features(cond.grid, start, width, cond.total, offset=cond.offset)
        gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + 7919 * k)
        noise = torch.randn((1, 1, x.shape[2], width), generator=gen)

        def report(fraction: float, k: int = k) -> None:
            if progress is not None:
                words = f"{stage}, window {k + 1} of {len(starts)}"
                progress(words, (k + fraction) / len(starts))

        out = ddim_window(
            net, noise, x[..., start:end], mask, frames, cond, steps, report, cancelled
        )
        x[..., start:end] = torch.where(mask.bool(), x[..., start:end], out)
        done[start:end] = True
    return x
