"""Small CNNs on melody piano rolls: a causal writer and a style classifier.

The writer reads the roll so far as an image (sounding and onset planes,
pitch x time), convolves it in 2-D with padding only on the past side of the
time axis (so step t never sees t or later), folds the pitch axis into
channels, then runs dilated causal 1-D convolutions over time. At each step
it predicts the next token (a pitch onset, hold or rest), conditioned on the
style, the difficulty level and the position in the bar. The classifier is a
plain conv + pool net over the same images; the evaluation uses it to check
that written pieces sound like the style they were asked for.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class CausalConv2d(nn.Conv2d):
    """A 2-D convolution over (pitch, time) that sees only past time steps."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kt = self.kernel_size[1]
        dt = self.dilation[1]
        x = F.pad(x, ((kt - 1) * dt, 0, 0, 0))
        return super().forward(x)


class CausalConv1d(nn.Conv1d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, ((self.kernel_size[0] - 1) * self.dilation[0], 0)))


class MelodyCNN(nn.Module):
    """Next-token logits from a roll: Tensor[B, 2, P, T] -> Tensor[B, vocab, T].

    Output step t is the distribution of token t+1 given the roll up to t.
    """

    def __init__(
        self,
        n_pitches: int = 48,
        vocab: int = 50,
        n_styles: int = 3,
        n_levels: int = 5,
        steps_per_bar: int = 16,
        channels: int = 16,
        hidden: int = 96,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
    ) -> None:
        super().__init__()
        self.n_pitches = n_pitches
        self.steps_per_bar = steps_per_bar
        # Two stride-2 steps on the pitch axis: octave-wide pitch patterns at low cost.
        self.roll = nn.Sequential(
            CausalConv2d(2, channels, (5, 3), padding=(2, 0)),
            nn.GELU(),
            CausalConv2d(channels, channels, (3, 3), stride=(2, 1), padding=(1, 0)),
            nn.GELU(),
            CausalConv2d(channels, channels, (3, 3), stride=(2, 1), padding=(1, 0)),
            nn.GELU(),
        )
        folded = channels * ((n_pitches + 3) // 4)
        self.fold = nn.Conv1d(folded, hidden, 1)
        self.style = nn.Embedding(n_styles, hidden)
        self.level = nn.Embedding(n_levels, hidden)
        self.position = nn.Embedding(steps_per_bar, hidden)
        self.blocks = nn.ModuleList(
            CausalConv1d(hidden, 2 * hidden, 2, dilation=d) for d in dilations
        )
        self.head = nn.Conv1d(hidden, vocab, 1)

    def forward(
        self, roll: torch.Tensor, style: torch.Tensor, level: torch.Tensor, start: int = 0
    ) -> torch.Tensor:
        """roll Tensor[B, 2, P, T], style/level LongTensor[B] -> logits Tensor[B, vocab, T]."""
        b, _, _, t = roll.shape
        h = self.roll(roll).reshape(b, -1, t)
        h = self.fold(h)
        # Position of the *next* step in its bar: what the prediction is for.
        pos = (torch.arange(t, device=roll.device) + start + 1) % self.steps_per_bar
        cond = self.style(style) + self.level(level)
        h = h + cond[:, :, None] + self.position(pos).T[None]
        for block in self.blocks:
            a, g = block(h).chunk(2, dim=1)
            h = h + torch.tanh(a) * torch.sigmoid(g)
        return self.head(F.gelu(h))

    def step(
        self,
        roll_tail: torch.Tensor,
        style: torch.Tensor,
        level: torch.Tensor,
        index: int,
        history: list[list[torch.Tensor]],
    ) -> torch.Tensor:
        """Logits for column ``index`` alone: Tensor[B, 2, P, <=7] -> Tensor[B, vocab].

        The same numbers as forward()'s column ``index`` at a fraction of the cost, for
        writing step by step: roll_tail holds the last (up to 7) columns ending at
        ``index`` (the 2-D stack sees 6 back), and ``history`` (one list per block,
        start with ``[[] for _ in model.blocks]``) keeps each block's past inputs, so
        the dilated convolutions read their one earlier tap instead of recomputing all.
        Columns must be fed in order from 0.
        """
        b = roll_tail.shape[0]
        h = self.fold(self.roll(roll_tail)[..., -1:].reshape(b, -1, 1))[:, :, 0]
        pos = torch.tensor((index + 1) % self.steps_per_bar)
        h = h + self.style(style) + self.level(level) + self.position(pos)
        for block, past in zip(self.blocks, history, strict=True):
            d = block.dilation[0]
            past.append(h)
            earlier = past[-1 - d] if len(past) > d else torch.zeros_like(h)
            del past[: -1 - d]
            w = block.weight
            out = earlier @ w[:, :, 0].T + h @ w[:, :, 1].T + block.bias
            a, g = out.chunk(2, dim=1)
            h = h + torch.tanh(a) * torch.sigmoid(g)
        return self.head(F.gelu(h)[:, :, None])[:, :, 0]


class StyleCNN(nn.Module):
    """Classify a roll of a few bars: Tensor[B, 2, P, T] -> logits Tensor[B, n_styles]."""

    def __init__(self, n_styles: int = 3, channels: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_prev = 2
        for c in channels:
            layers += [
                nn.Conv2d(c_prev, c, 3, padding=1),
                nn.BatchNorm2d(c),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            c_prev = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c_prev, n_styles)

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        h = self.features(roll)
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))
