"""A diffusion U-Net that hears six seconds, knows the beat and the bar, and takes a style.

What the first U-Net lacked (docs/models.md has the measurements): it saw
1.5 s windows with most of its receptive field inside +-0.8 s, its GroupNorm
statistics spanned the whole window (128 frames in training, 800+ at
inference), and it had no idea where a bar starts. This one:

- works on 544-frame windows (6.3 s at 86 frames a second) and its receptive
  field covers them: 2-D residual blocks at four resolutions (the 160-band
  log-mel folded 2x2, then halved three times in time and frequency), and at
  the bottom (1/16 of the frame rate) the frequency axis is folded into
  channels and a stack of dilated 1-D convolutions (dilations 1..8, kernel 3)
  spans 61 bottom frames = 976 input frames;
- normalises per frame (``FrameNorm``: statistics over channels and bands of
  one time column), so nothing depends on how wide the window is;
- reads frame-wise conditioning channels: beat phase and bar phase (sin, cos)
  from beat tracking, and the position inside the piece (0 at its start, 1 at
  its end), so it can put onsets on beats and shape intros and endings;
- takes style weights Tensor[B, n_styles] (zeros = no style), added to the
  diffusion-time embedding; training drops the label so classifier-free
  guidance can mix the conditioned and unconditioned predictions.

Inputs as the first U-Net (noisy normalised log-mel, known log-mel and its
mask for inpainting) plus ``frames`` and ``style``; output: the v-prediction.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from generator.engine.nets.unet import timestep_embedding

FRAME_FEATURES = 5  # beat sin, beat cos, bar sin, bar cos, position in the piece


class FrameNorm(nn.Module):
    """Normalise each time column over channels and bands: Tensor[B, C, H, W] or [B, C, W].

    Unlike GroupNorm over the whole window, a frame's statistics are the same
    whatever the window's width, so training crops and long inference agree.
    """

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # layer_norm over a frames-last copy is about 3.5x faster here than var() over (C, H).
        b, w = x.shape[0], x.shape[-1]
        rows = x.reshape(b, -1, w).transpose(1, 2).float()
        y = F.layer_norm(rows, rows.shape[-1:], eps=self.eps).transpose(1, 2).reshape(x.shape)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return (y * self.weight.view(shape) + self.bias.view(shape)).to(x.dtype)


def fold(x: torch.Tensor, fh: int, fw: int) -> torch.Tensor:
    """Move fh x fw patches into channels: Tensor[B, C, H, W] -> [B, C*fh*fw, H/fh, W/fw]."""
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // fh, fh, w // fw, fw).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * fh * fw, h // fh, w // fw)


def unfold(x: torch.Tensor, fh: int, fw: int) -> torch.Tensor:
    """Inverse of ``fold``."""
    b, c, h, w = x.shape
    x = x.reshape(b, c // (fh * fw), fh, fw, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(b, c // (fh * fw), h * fh, w * fw)


class Block2d(nn.Module):
    """Residual block, two 3x3 convolutions, FiLM from the conditioning vector."""

    def __init__(self, c_in: int, c_out: int, c_dim: int) -> None:
        super().__init__()
        self.norm1 = FrameNorm(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.film = nn.Linear(c_dim, 2 * c_out)
        self.norm2 = FrameNorm(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class Block1d(nn.Module):
    """Dilated residual block over time at the bottom: Tensor[B, C, T] -> same."""

    def __init__(self, channels: int, c_dim: int, dilation: int) -> None:
        super().__init__()
        self.norm1 = FrameNorm(channels)
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.film = nn.Linear(c_dim, 2 * channels)
        self.norm2 = FrameNorm(channels)
        self.conv2 = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(cond)[:, :, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


class MusicUNet(nn.Module):
    """Predict v: (x_t, known, mask, t, frames, style) -> Tensor[B, 1, n_mels, W].

    x_t, known, mask: Tensor[B, 1, n_mels, W]; t: Tensor[B]; frames:
    Tensor[B, FRAME_FEATURES, W]; style: Tensor[B, n_styles] (rows of zeros
    mean "no style"). W must be a multiple of ``multiple``.
    """

    conditioned = True

    def __init__(
        self,
        n_mels: int = 160,
        channels: tuple[int, ...] = (32, 64, 128),
        bottom: int = 320,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1, 2, 4),
        fold: tuple[int, int] = (4, 2),
        n_styles: int = 10,
        c_dim: int = 256,
    ) -> None:
        super().__init__()
        levels = len(channels)
        self.n_mels = n_mels
        self.n_styles = n_styles
        self.c_dim = c_dim
        self.fold_hw = (int(fold[0]), int(fold[1]))
        self.multiple = self.fold_hw[1] * 2 ** (levels - 1)
        if n_mels % (self.fold_hw[0] * 2 ** (levels - 1)):
            raise ValueError(f"{n_mels} mel bands do not fold into {levels} levels")
        self.t_mlp = nn.Sequential(nn.Linear(c_dim, c_dim), nn.SiLU(), nn.Linear(c_dim, c_dim))
        self.style_embed = nn.Linear(n_styles, c_dim, bias=False)
        patch = self.fold_hw[0] * self.fold_hw[1]
        self.conv_in = nn.Conv2d(patch * (3 + FRAME_FEATURES), channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c_prev = channels[0]
        for i, c in enumerate(channels):
            self.down.append(Block2d(c_prev, c, c_dim))
            c_prev = c
            if i < levels - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.bottom_height = n_mels // (self.fold_hw[0] * 2 ** (levels - 1))
        self.to_1d = nn.Conv1d(c_prev * self.bottom_height, bottom, 1)
        self.mid = nn.ModuleList(Block1d(bottom, c_dim, d) for d in dilations)
        self.from_1d = nn.Conv1d(bottom, c_prev * self.bottom_height, 1)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i in reversed(range(levels)):
            c = channels[i]
            self.up.append(Block2d(c_prev + c, c, c_dim))
            c_prev = c
            if i > 0:
                self.upsample.append(nn.Conv2d(c, channels[i - 1], 3, padding=1))
                c_prev = channels[i - 1]
        self.norm_out = FrameNorm(c_prev)
        self.conv_out = nn.Conv2d(c_prev, patch, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(
        self,
        x_t: torch.Tensor,
        known: torch.Tensor,
        mask: torch.Tensor,
        t: torch.Tensor,
        frames: torch.Tensor | None = None,
        style: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, _, m, w = x_t.shape
        if frames is None:
            frames = torch.zeros(b, FRAME_FEATURES, w, dtype=x_t.dtype)
        if style is None:
            style = torch.zeros(b, self.n_styles, dtype=x_t.dtype)
        cond = self.t_mlp(timestep_embedding(t, self.c_dim)) + self.style_embed(style.float())
        planes = frames[:, :, None, :].expand(b, FRAME_FEATURES, m, w).to(x_t.dtype)
        inputs = torch.cat([x_t, known * mask, mask, planes], dim=1)
        h = self.conv_in(fold(inputs, *self.fold_hw))
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, cond)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        c, height, width = h.shape[1], h.shape[2], h.shape[3]
        g = self.to_1d(h.reshape(b, c * height, width))
        for block in self.mid:
            g = block(g, cond)
        h = h + self.from_1d(g).reshape(b, c, height, width)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), cond)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return unfold(self.conv_out(F.silu(self.norm_out(h))), *self.fold_hw)
