"""Diffusion schedule, training target and the DDIM sampler over normalised log-mels.

Continuous time t in [0, 1] with the cosine schedule alpha = cos(pi t / 2),
sigma = sin(pi t / 2) (alpha^2 + sigma^2 = 1), and v-prediction
(v = alpha * eps - sigma * x0), because v stays well-scaled at both ends and
lets a few-step deterministic DDIM sampler (Song et al. 2021) work: steps are
the user's speed/quality dial.

Inpainting (continue): the model sees the known log-mel and its mask as extra
input channels, and at every step the predicted clean spectrogram is replaced
by the known one under the mask, so the known frames come out exactly.

Long spectrograms are denoised in overlapping windows (MultiDiffusion, Bar-Tal
et al. 2023): at every step each window is predicted on its own and the
predictions are blended with tapered weights where windows overlap, so the
network's memory stays that of one window whatever the length, the joins
are seamless (every window moves the same shared x), and progress and
cancellation come once per window.

Shapes: x is Tensor[B, 1, n_mels, W] (normalised log-mel), t is Tensor[B].
No Django imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from generator.engine import precision

from .contract import CancelCheck, Progress, stop_if_cancelled


@dataclass(frozen=True)
class MelNorm:
    """Map log-mel (natural-log power) to the model's roughly unit-variance range."""

    mean: float = -5.0
    std: float = 3.0

    def encode(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.mean) / self.std

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean


def alpha_sigma(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine schedule: Tensor[B] -> (alpha, sigma), each Tensor[B, 1, 1, 1]."""
    angle = (t.clamp(0.0, 1.0) * (math.pi / 2)).view(-1, 1, 1, 1)
    return angle.cos(), angle.sin()


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Noise clean x0 to time t: x_t = alpha x0 + sigma eps."""
    alpha, sigma = alpha_sigma(t)
    return alpha * x0 + sigma * noise


def v_target(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    alpha, sigma = alpha_sigma(t)
    return alpha * noise - sigma * x0


def _pad_width(x: torch.Tensor, multiple: int) -> torch.Tensor:
    extra = (-x.shape[-1]) % multiple
    if extra == 0:
        return x
    mode = "reflect" if x.shape[-1] > extra else "replicate"
    return F.pad(x, (0, extra, 0, 0), mode=mode)


def predict(
    model: torch.nn.Module,
    x_t: torch.Tensor,
    t: torch.Tensor,
    known: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Model's (x0_hat, eps_hat) for x_t at time t, any width (padded to the net's multiple)."""
    width = x_t.shape[-1]
    if known is None:
        known = torch.zeros_like(x_t)
    if mask is None:
        mask = torch.zeros_like(x_t)
    multiple = getattr(model, "multiple", 8)
    # bf16 where the CPU has it: 1.4x faster sampling, and outputs that differ from
    # float32 by about 5 % of what another seed changes (docs/performance.md).
    with precision.autocast():
        v = model(
            _pad_width(x_t, multiple),
            _pad_width(known, multiple),
            _pad_width(mask, multiple),
            t.expand(x_t.shape[0]),
        )
    v = v.float()[..., :width]
    alpha, sigma = alpha_sigma(t.expand(x_t.shape[0]))
    x0 = alpha * x_t - sigma * v
    eps = sigma * x_t + alpha * v
    return x0, eps


def plan_windows(frames: int, width: int, overlap: int, multiple: int = 8) -> list[tuple[int, int]]:
    """Cover ``frames`` with the fewest windows of at most ``width`` overlapping by ``overlap``.

    Windows share one width (rounded up to ``multiple``, the net's padding
    unit) so no window is a sliver; the first starts at 0 and the last ends at
    ``frames``. Returns [(start, end), ...].
    """
    if frames <= width:
        return [(0, frames)]
    count = math.ceil((frames - overlap) / (width - overlap))
    size = min(width, multiple * math.ceil((frames + (count - 1) * overlap) / count / multiple))
    starts = torch.linspace(0, frames - size, count).round().long().tolist()
    return [(start, start + size) for start in starts]


def _taper(size: int, overlap: int, first: bool, last: bool) -> torch.Tensor:
    """Tensor[size] blending weights: raised-cosine ramps where a neighbour overlaps, else 1."""
    weight = torch.ones(size)
    ramp = torch.sin((torch.arange(overlap) + 0.5) / overlap * (math.pi / 2)).square()
    if not first:
        weight[:overlap] = ramp
    if not last:
        weight[size - overlap :] = ramp.flip(0)
    return weight


@torch.inference_mode()
def ddim_sample(
    model: torch.nn.Module,
    x_t: torch.Tensor,
    *,
    t_start: float = 1.0,
    steps: int = 20,
    known: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
    stage: str = "denoising",
    window: int | None = None,
    overlap: int = 64,
) -> torch.Tensor:
    """Run deterministic DDIM from time t_start down to 0: Tensor[B,1,M,W] -> clean x0.

    With known/mask, the known frames are imposed on every x0 estimate
    (inpainting); the result equals ``known`` under the mask. With ``window``,
    the network sees at most that many frames at a time (see plan_windows);
    a spectrogram that fits one window is denoised exactly as without it.
    Progress and the cancel check come after and before every window of every step.
    """
    steps = max(1, int(steps))
    times = torch.linspace(float(t_start), 0.0, steps + 1)
    frames = x_t.shape[-1]
    spans = plan_windows(frames, window or frames, overlap, getattr(model, "multiple", 8))
    weights = [
        _taper(end - start, overlap, first=k == 0, last=k == len(spans) - 1)
        for k, (start, end) in enumerate(spans)
    ]
    total = torch.zeros(frames)
    for (start, end), weight in zip(spans, weights, strict=True):
        total[start:end] += weight
    x = x_t
    x0 = x
    for i in range(steps):
        t, s = times[i : i + 1], times[i + 1 : i + 2]
        x0 = torch.zeros_like(x)
        eps = torch.zeros_like(x)
        for k, ((start, end), weight) in enumerate(zip(spans, weights, strict=True)):
            stop_if_cancelled(cancelled, "Generation was cancelled.")
            x0_k, eps_k = predict(
                model,
                x[..., start:end],
                t,
                None if known is None else known[..., start:end],
                None if mask is None else mask[..., start:end],
            )
            x0[..., start:end] += x0_k * weight
            eps[..., start:end] += eps_k * weight
            if progress is not None:
                words = stage if len(spans) == 1 else f"{stage}, window {k + 1} of {len(spans)}"
                progress(words, (i * len(spans) + k + 1) / (steps * len(spans)))
        x0 = (x0 / total).clamp(-4.0, 4.0)
        eps = eps / total
        if mask is not None and known is not None:
            x0 = mask * known + (1 - mask) * x0
        alpha_s, sigma_s = alpha_sigma(s)
        x = alpha_s * x0 + sigma_s * eps
    return x0


def slerp(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation per frame: a, b Tensor[B,1,M,W]; w Tensor[W] in 0..1.

    Gaussian latents live near a sphere; a straight line between two of them
    passes through low-norm (too quiet, too smooth) latents, a great circle
    does not. Angles are measured per frame over the mel axis.
    """
    dot = (a * b).sum(dim=2, keepdim=True)
    norm = a.norm(dim=2, keepdim=True) * b.norm(dim=2, keepdim=True)
    omega = torch.arccos((dot / norm.clamp_min(1e-8)).clamp(-0.9999, 0.9999))
    w = w.view(1, 1, 1, -1)
    so = omega.sin()
    return (torch.sin((1 - w) * omega) * a + torch.sin(w * omega) * b) / so
