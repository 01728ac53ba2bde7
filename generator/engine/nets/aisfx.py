"""aiSFX's embedding CNN (Ma and Lerch, ISMIR 2022), rebuilt here to load its weights safely.

aiSFX ships a pure-torch checkpoint (CC BY 4.0, trained on sound-effect
libraries) as a pickle. We re-declare its embedding network (the DCASE
cross-task 8-layer CNN: four blocks of two 3x3 convolutions with batch norm,
max-pooled, then mean over frequency and max over time) so that the pickle is
read exactly once, by ``generator.engine.evaluation.convert_aisfx``, and turned into
safetensors; at run time only the safetensors file is loaded.

Input: Tensor[B, frames=100, mels=96] of its own spectrogram (44.1 kHz, window
2048, hop 1024, 96 HTK mels, log10(1 + 10^4 power), divided by 9.4578), about
2.3 s; output: Tensor[B, 512] embeddings.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SAMPLE_RATE = 44_100
N_FFT = 2048
HOP = 1024
N_MELS = 96
BLOCK = 100
SPEC_MAX = 9.457798957824707


class ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor, pool: int) -> torch.Tensor:
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.max_pool2d(x, pool) if pool > 1 else x


class AisfxEmbedding(nn.Module):
    """Embed spectrogram blocks: Tensor[B, 100, 96] -> Tensor[B, 512]."""

    def __init__(self, hl1: int = 64) -> None:
        super().__init__()
        self.conv_block1 = ConvBlock(1, hl1)
        self.conv_block2 = ConvBlock(hl1, hl1 * 2)
        self.conv_block3 = ConvBlock(hl1 * 2, hl1 * 4)
        self.conv_block4 = ConvBlock(hl1 * 4, hl1 * 8)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = spec[:, None]
        x = self.conv_block1(x, 2)
        x = self.conv_block2(x, 2)
        x = self.conv_block3(x, 2)
        x = self.conv_block4(x, 1)
        return x.mean(dim=3).amax(dim=2)
