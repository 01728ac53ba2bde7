"""A small diffusion U-Net over log-mel windows, sized for a 2-core CPU.

The audio-diffusion / Riffusion idea (denoise mel spectrogram images) at about a
hundredth of their cost: the 128-mel input is folded 2x2 into channels
(PixelUnshuffle) so every convolution runs at 64 x W/2, three resolution levels,
no attention, GroupNorm + SiLU residual blocks with an additive time embedding.
The network is fully convolutional, so it runs on any width that is a multiple
of ``UNet.multiple`` frames; training uses 128-frame (1.5 s) windows.

Input channels: the noisy normalised log-mel, the known (clean) log-mel where a
mask says so, and the mask itself. With an all-zero mask the model is
unconditional (dream, remix); with a mask over an overlap it outpaints
(continue). Output: the v-prediction (Salimans and Ho 2022) for the noisy input.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of continuous time: Tensor[B] in 0..1 -> Tensor[B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a time bias: Tensor[B, C_in, H, W] -> [B, C_out, H, W]."""

    def __init__(self, c_in: int, c_out: int, t_dim: int, groups: int = 8) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.temb = nn.Linear(t_dim, c_out)
        self.norm2 = nn.GroupNorm(groups, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """Predict v for a noisy log-mel: (x_t, known, mask, t) -> Tensor[B, 1, n_mels, W]."""

    def __init__(
        self, n_mels: int = 128, channels: tuple[int, ...] = (32, 64, 128), t_dim: int = 128
    ) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.channels = tuple(channels)
        self.t_dim = t_dim
        self.multiple = 2 * 2 ** (len(channels) - 1)
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.fold = nn.PixelUnshuffle(2)
        self.unfold = nn.PixelShuffle(2)
        self.conv_in = nn.Conv2d(3 * 4, channels[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        c_prev = channels[0]
        for i, c in enumerate(channels):
            self.down_blocks.append(ResBlock(c_prev, c, t_dim))
            c_prev = c
            if i < len(channels) - 1:
                self.downsamples.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid = ResBlock(c_prev, c_prev, t_dim)
        self.up_blocks = nn.ModuleList()
        self.upsamples = nn.ModuleList()
        for i in reversed(range(len(channels))):
            c = channels[i]
            self.up_blocks.append(ResBlock(c_prev + c, c, t_dim))
            c_prev = c
            if i > 0:
                self.upsamples.append(nn.Conv2d(c, channels[i - 1], 3, padding=1))
                c_prev = channels[i - 1]
        self.norm_out = nn.GroupNorm(8, c_prev)
        self.conv_out = nn.Conv2d(c_prev, 4, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(
        self, x_t: torch.Tensor, known: torch.Tensor, mask: torch.Tensor, t: torch.Tensor
    ) -> torch.Tensor:
        """x_t, known, mask: Tensor[B, 1, n_mels, W] (W a multiple of .multiple); t: Tensor[B]."""
        temb = self.t_mlp(timestep_embedding(t, self.t_dim))
        h = self.conv_in(self.fold(torch.cat([x_t, known * mask, mask], dim=1)))
        skips = []
        for i, block in enumerate(self.down_blocks):
            h = block(h, temb)
            skips.append(h)
            if i < len(self.downsamples):
                h = self.downsamples[i](h)
        h = self.mid(h, temb)
        for i, block in enumerate(self.up_blocks):
            h = block(torch.cat([h, skips.pop()], dim=1), temb)
            if i < len(self.upsamples):
                h = self.upsamples[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.unfold(self.conv_out(F.silu(self.norm_out(h))))
