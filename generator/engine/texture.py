"""Training-free texture synthesis on log-mel spectrograms (Ulyanov and Lebedev 2016, made cheap).

A fixed bank of random-weight 1-D convolutions reads a log-mel spectrogram
with frequency as channels; the Gram matrices of their ReLU features describe
the clip's texture independently of time. A new spectrogram is optimised from
noise (L-BFGS) until its statistics match, then the vocoder gives it phase.

What differs from the published setup, and why (docs/engine.md has figures):
- 160 mel bands instead of 1025 linear bins, and five banks of 256 filters of
  width 5 at dilations 1..16 instead of one bank of 4096 of width 11: about
  100 times less arithmetic, and a receptive field of 65 frames (0.75 s) that
  captures note lengths the single wide bank misses.
- 50 L-BFGS iterations instead of 300, plus two cheap statistics (per-band mean
  and standard deviation, and the standard deviation of frame-to-frame
  differences) that the short optimisation would otherwise leave rough, and an
  initial noise smoothed over a few frames for the same reason.
- Long outputs are made in overlapping segments: each new segment starts from
  the previous segment's last second and eases from it into fresh noise, the
  whole segment is optimised (so features straddling the join are matched
  too), and the overlap is crossfaded in the spectrogram domain.

No Django here; shapes are Tensor[1, N_MELS, frames] unless said.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from . import audio

# Called after every loss evaluation with (segment index, fraction of that segment done).
Tick = Callable[[int, float], None]


@dataclass(frozen=True)
class TextureConfig:
    """The feature bank and the optimiser's budget; the defaults meet the speed targets."""

    channels: int = 256  # filters per bank
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)
    weights_seed: int = 20160317  # the feature space is fixed; only the noise follows the seed
    steps: int = 50  # L-BFGS iterations per segment
    history: int = 10
    segment_frames: int = 862  # 10 s
    overlap_frames: int = 86  # 1 s of context carried into the next segment
    smooth_frames: int = 3  # half-width of the Hann smoothing of the initial noise
    stats_weight: float = 0.1

    @property
    def receptive_frames(self) -> int:
        return (self.kernel - 1) * max(self.dilations) + 1

    @property
    def min_samples(self) -> int:
        """Shortest clip whose spectrogram fills one receptive field."""
        return (self.receptive_frames - 1) * audio.HOP + 1


DEFAULT = TextureConfig()


@lru_cache(maxsize=2)
def feature_bank(config: TextureConfig = DEFAULT) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """The random filters: per dilation, weights [channels, N_MELS, kernel] and bias [channels].

    He-scaled normal weights and small uniform biases, from a fixed seed so every
    process sees the same feature space. Cached; never modified.
    """
    gen = torch.Generator().manual_seed(config.weights_seed)
    scale = math.sqrt(2.0 / (audio.N_MELS * config.kernel))
    bank = []
    # Ordinary tensors even when first asked for under inference mode, so that
    # the optimiser can later differentiate through them.
    with torch.inference_mode(False), torch.no_grad():
        for _ in config.dilations:
            shape = (config.channels, audio.N_MELS, config.kernel)
            weight = torch.randn(shape, generator=gen) * scale
            bias = (torch.rand(config.channels, generator=gen) - 0.5) * 0.2
            bank.append((weight, bias))
    return tuple(bank)


def _features(z: torch.Tensor, config: TextureConfig) -> list[torch.Tensor]:
    """ReLU features per bank: Tensor[1, N_MELS, N] -> [Tensor[channels, N - receptive]]."""
    return [
        F.relu(F.conv1d(z, weight, bias, dilation=dilation))[0]
        for (weight, bias), dilation in zip(feature_bank(config), config.dilations, strict=True)
    ]


def _grams(features: list[torch.Tensor]) -> list[torch.Tensor]:
    return [f @ f.T / f.shape[1] for f in features]


@dataclass(frozen=True)
class Texture:
    """What a clip's texture is matched by: Gram matrices and three per-band statistics."""

    grams: tuple[torch.Tensor, ...]  # per bank, [channels, channels]
    band_mean: torch.Tensor  # [N_MELS]
    band_std: torch.Tensor  # [N_MELS]
    delta_std: torch.Tensor  # [N_MELS], std of frame-to-frame differences

    def mix(self, other: Texture, weight: float) -> Texture:
        """Interpolate statistics: weight 0 is self, 1 is other."""

        def lerp(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return torch.lerp(a, b, weight)

        return Texture(
            tuple(lerp(a, b) for a, b in zip(self.grams, other.grams, strict=True)),
            lerp(self.band_mean, other.band_mean),
            lerp(self.band_std, other.band_std),
            lerp(self.delta_std, other.delta_std),
        )


@torch.no_grad()
def analyse(z: torch.Tensor, config: TextureConfig = DEFAULT) -> Texture:
    """Measure the texture of a normalised log-mel Tensor[1, N_MELS, N]."""
    return Texture(
        tuple(_grams(_features(z, config))),
        z.mean(-1)[0],
        z.std(-1)[0],
        z.diff(dim=-1).std(-1)[0],
    )


def _relative(pairs) -> torch.Tensor:
    """Mean over pairs of ||a - b||^2 / ||b||^2, so every bank weighs the same."""
    terms = [(a - b).square().sum() / b.square().sum().clamp_min(1e-12) for a, b in pairs]
    return sum(terms) / len(terms)


def _loss(
    z: torch.Tensor,
    target: Texture,
    content: list[torch.Tensor] | None,
    content_weight: float,
    config: TextureConfig,
) -> torch.Tensor:
    """Texture loss (Gram matrices + band statistics), blended with a content loss.

    ``content``: the content spectrogram's features (as ``_features``), which
    ``z``'s features should equal; the features are computed once for both terms.
    """
    features = _features(z, config)
    grams = _grams(features)
    stats = (
        (z.mean(-1)[0] - target.band_mean).square().mean()
        + (z.std(-1)[0] - target.band_std).square().mean()
        + (z.diff(dim=-1).std(-1)[0] - target.delta_std).square().mean()
    )
    style = _relative(zip(grams, target.grams, strict=True)) + config.stats_weight * stats
    if content is None or content_weight <= 0:
        return style
    resemblance = _relative(zip(features, content, strict=True))
    return (1 - content_weight) * style + content_weight * resemblance


def smooth_noise(frames: int, generator: torch.Generator, config: TextureConfig) -> torch.Tensor:
    """Unit-variance noise low-passed over a few frames: Tensor[1, N_MELS, frames]."""
    half = config.smooth_frames
    noise = torch.randn(audio.N_MELS, 1, frames + 2 * half, generator=generator)
    if half == 0:
        return noise.reshape(1, audio.N_MELS, frames)
    kernel = torch.hann_window(2 * half + 1, periodic=False)
    kernel = (kernel / kernel.norm()).reshape(1, 1, -1)
    return F.conv1d(noise, kernel).reshape(1, audio.N_MELS, frames)


def plan_segments(frames: int, config: TextureConfig) -> list[tuple[int, int]]:
    """Split ``frames`` into (start, stop) spans; each after the first overlaps its predecessor.

    Spans are equal in length (so every segment is matched over as many frames
    as the first) and the last one ends exactly at ``frames``.
    """
    size, overlap = config.segment_frames, config.overlap_frames
    if frames <= size:
        return [(0, frames)]
    count = math.ceil((frames - overlap) / (size - overlap))
    fresh = math.ceil((frames - overlap) / count)
    spans = []
    for k in range(count):
        stop = min(frames, overlap + (k + 1) * fresh)
        spans.append((max(0, stop - fresh - overlap), stop))
    return spans


def _ease(count: int) -> torch.Tensor:
    """A raised-cosine ramp from 0 to 1 over ``count`` frames (exclusive ends): Tensor[count]."""
    return 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(count) + 1) / (count + 1))


def _continue_from(context: torch.Tensor, fresh: torch.Tensor, ramp_frames: int) -> torch.Tensor:
    """Start ``fresh`` where ``context`` ends, easing into the given values over a few frames.

    Tensor[1, N_MELS, C], Tensor[1, N_MELS, N] -> Tensor[1, N_MELS, N]. Without
    it a new segment would start with a jump that a short optimisation cannot
    fully smooth.
    """
    count = min(ramp_frames, fresh.shape[-1])
    if context.shape[-1] == 0 or count == 0:
        return fresh
    weight = _ease(count)
    out = fresh.clone()
    out[..., :count] = torch.lerp(context[..., -1:], fresh[..., :count], weight)
    return out


def synthesise(
    initial: torch.Tensor,
    target: Texture,
    *,
    content: torch.Tensor | None = None,
    content_weight: float = 0.0,
    config: TextureConfig = DEFAULT,
    steps: int | None = None,
    tick: Tick | None = None,
) -> torch.Tensor:
    """Optimise a spectrogram towards ``target``'s texture, segment by segment.

    ``initial``: Tensor[1, N_MELS, N], the starting point (noise for a
    variation, the content clip for style transfer). ``content`` (same shape)
    adds a feature-matching term weighted ``content_weight`` against the
    texture term's ``1 - content_weight``. Returns Tensor[1, N_MELS, N].
    ``tick`` is called after every loss evaluation and may raise to stop.

    Each segment after the first starts with the previous one's last frames
    (the context), optimised again together with new frames that ease out of
    them; the two versions of the context are then crossfaded, so the
    spectrogram flows from one segment into the next. (Penalising the context
    for moving made a visible step where the new frames begin.)
    """
    steps = config.steps if steps is None else steps
    max_eval = math.ceil(steps * 1.25)
    out = initial.detach().clone()
    spans = plan_segments(out.shape[-1], config)
    for index, (start, stop) in enumerate(spans):
        shared = 0 if index == 0 else spans[index - 1][1] - start
        before = out[..., start : start + shared].clone()
        fresh_start = _continue_from(before, out[..., start + shared : stop], config.overlap_frames)
        z = torch.cat([before, fresh_start], dim=-1).requires_grad_(True)
        with torch.no_grad():
            target_content = (
                None if content is None else _features(content[..., start:stop], config)
            )
        optimiser = torch.optim.LBFGS(
            [z],
            lr=1.0,
            max_iter=steps,
            max_eval=max_eval,
            history_size=config.history,
            line_search_fn="strong_wolfe",
        )
        evaluations = 0

        def closure(
            z: torch.Tensor = z,
            target_content: list[torch.Tensor] | None = target_content,
            optimiser: torch.optim.Optimizer = optimiser,
            index: int = index,
        ) -> torch.Tensor:
            nonlocal evaluations
            optimiser.zero_grad()
            loss = _loss(z, target, target_content, content_weight, config)
            loss.backward()
            evaluations += 1
            if tick is not None:
                tick(index, min(evaluations / max_eval, 1.0))
            return loss

        if steps > 0:
            optimiser.step(closure)
        result = z.detach()
        if shared:
            fade = _ease(shared)
            result[..., :shared] = torch.lerp(before, result[..., :shared], fade)
        out[..., start:stop] = result
        if tick is not None:
            tick(index, 1.0)
    return out
