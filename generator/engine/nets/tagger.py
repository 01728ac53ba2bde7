"""The classifier CNN (conv + pool layers, a dense layer, softmax) used as a tagger.

It reads log-mel windows, says what they sound like (instrument family or
style), and its penultimate dense layer is the embedding that "more like this"
and the evaluation's Fréchet distances use. Global average + max pooling over
time and frequency makes it width-agnostic, so a whole clip can be cut into
windows and tagged in one batch.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Tagger(nn.Module):
    """Classify log-mel windows: Tensor[B, 1, n_mels, W] -> logits Tensor[B, n_classes]."""

    def __init__(
        self,
        n_classes: int,
        n_mels: int = 128,
        channels: tuple[int, ...] = (16, 32, 64, 128),
        embed_dim: int = 128,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.n_mels = n_mels
        self.embed_dim = embed_dim
        layers = []
        c_prev = 1
        for i, c in enumerate(channels):
            # The first convolution strides 2x2: halves the cost of the whole net.
            layers.append(_block(c_prev, c, stride=2 if i == 0 else 1))
            c_prev = c
        self.features = nn.Sequential(*layers)
        self.dense = nn.Sequential(nn.Linear(2 * c_prev, embed_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(embed_dim, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer embedding: Tensor[B, 1, n_mels, W] -> Tensor[B, embed_dim]."""
        h = self.features(x)
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        return self.dense(pooled)

    def classify(self, embedding: torch.Tensor) -> torch.Tensor:
        """Logits from embeddings: Tensor[B, embed_dim] -> Tensor[B, n_classes]."""
        return self.head(self.dropout(embedding))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))
