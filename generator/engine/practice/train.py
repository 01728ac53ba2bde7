"""Train the melody writer and the style classifier on the corpus rolls, within a time budget.

Both train on CPU in minutes: the budget is wall-clock seconds, so the same
call fits a test (seconds) and the shipped checkpoint (half an hour). The
split is by melody: no crop of a validation melody is trained on. Each style
is drawn equally often, whatever its share of the corpus. No Django imports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from generator.engine import checkpoints
from generator.engine.practice import rolls

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

WRITER = "melody_cnn"
CLASSIFIER = "style_cnn"


@dataclass(frozen=True)
class PracticeTrainConfig:
    """How long and on what to train; saved in each checkpoint's provenance."""

    writer_seconds: float = 1800.0
    classifier_seconds: float = 300.0
    crop_bars: int = 8
    classify_bars: int = 8
    batch: int = 32
    lr: float = 2e-3
    validation_fraction: float = 0.1
    seed: int = 0
    channels: int = 16
    hidden: int = 96


def split(melodies: list[rolls.Melody], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of training and validation melodies, a fixed share of each style held out."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for style in rolls.STYLES:
        idx = [i for i, m in enumerate(melodies) if m.style == style]
        rng.shuffle(idx)
        n_val = max(1, round(len(idx) * fraction)) if len(idx) > 1 else 0
        val += idx[:n_val]
        train += idx[n_val:]
    return sorted(train), sorted(val)


def _crop(tokens: np.ndarray, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """A crop of ``steps`` tokens starting on a bar line, REST-padded when the melody is short."""
    bars = max(1, (len(tokens) - steps) // rolls.STEPS_PER_BAR + 1)
    start = int(rng.integers(0, bars)) * rolls.STEPS_PER_BAR
    piece = tokens[start : start + steps]
    if len(piece) < steps:
        piece = np.concatenate([piece, np.full(steps - len(piece), rolls.REST, dtype=np.int64)])
    return piece, start


def _batch(
    melodies: list[rolls.Melody],
    idx: list[int],
    levels: np.ndarray,
    steps: int,
    batch: int,
    rng: np.random.Generator,
) -> tuple[torch.Tensor, ...]:
    """Rolls Tensor[B, 2, P, steps], next tokens Tensor[B, steps], styles, levels, starts."""
    by_style = {s: [i for i in idx if melodies[i].style == s] for s in rolls.STYLES}
    by_style = {s: v for s, v in by_style.items() if v}
    styles = list(by_style)
    images, targets, style_ids, level_ids = [], [], [], []
    for _ in range(batch):
        style = styles[int(rng.integers(len(styles)))]
        i = by_style[style][int(rng.integers(len(by_style[style])))]
        piece, _ = _crop(melodies[i].tokens, steps + 1, rng)
        images.append(rolls.roll(piece[:-1]))
        targets.append(piece[1:])
        style_ids.append(rolls.STYLES.index(style))
        level_ids.append(int(levels[i]))
    return (
        torch.from_numpy(np.stack(images)),
        torch.from_numpy(np.stack(targets)),
        torch.tensor(style_ids),
        torch.tensor(level_ids),
    )


def _writer_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    images, targets, styles, levels = batch
    return F.cross_entropy(model(images, styles, levels), targets)


def train_writer(
    melodies: list[rolls.Melody],
    levels: np.ndarray,
    cfg: PracticeTrainConfig,
    progress: Progress | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train the causal writer for cfg.writer_seconds; returns it and its metrics."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_idx, val_idx = split(melodies, cfg.validation_fraction, cfg.seed)
    hparams = _writer_hparams(cfg)
    model = checkpoints.build(WRITER, hparams).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps = cfg.crop_bars * rolls.STEPS_PER_BAR
    val_rng = np.random.default_rng(cfg.seed + 1)
    val_batches = [
        _batch(melodies, val_idx or train_idx, levels, steps, cfg.batch, val_rng) for _ in range(4)
    ]
    began = time.monotonic()
    step = 0
    loss_ema = None
    while time.monotonic() - began < cfg.writer_seconds:
        loss = _writer_loss(model, _batch(melodies, train_idx, levels, steps, cfg.batch, rng))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        loss_ema = loss.item() if loss_ema is None else 0.98 * loss_ema + 0.02 * loss.item()
        if step % 50 == 0:
            log.info("writer step %d loss %.3f", step, loss_ema)
            if progress:
                progress(
                    "training writer", min(1.0, (time.monotonic() - began) / cfg.writer_seconds)
                )
    model.eval()
    with torch.inference_mode():
        val_loss = float(np.mean([_writer_loss(model, b).item() for b in val_batches]))
    metrics = {
        "steps": step,
        "train_loss": round(loss_ema or 0.0, 4),
        "val_loss": round(val_loss, 4),
    }
    return model, metrics


def _writer_hparams(cfg: PracticeTrainConfig) -> dict[str, Any]:
    return {
        "n_pitches": rolls.N_PITCHES,
        "vocab": rolls.VOCAB,
        "n_styles": len(rolls.STYLES),
        "n_levels": 5,
        "steps_per_bar": rolls.STEPS_PER_BAR,
        "channels": cfg.channels,
        "hidden": cfg.hidden,
    }


def train_classifier(
    melodies: list[rolls.Melody],
    cfg: PracticeTrainConfig,
    progress: Progress | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train the style classifier on 8-bar crops; returns it and its validation accuracy."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed + 2)
    train_idx, val_idx = split(melodies, cfg.validation_fraction, cfg.seed)
    model = checkpoints.build(CLASSIFIER, {"n_styles": len(rolls.STYLES)}).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps = cfg.classify_bars * rolls.STEPS_PER_BAR
    zeros = np.zeros(len(melodies), dtype=np.int64)
    began = time.monotonic()
    n = 0
    while time.monotonic() - began < cfg.classifier_seconds:
        images, _, styles, _ = _batch(melodies, train_idx, zeros, steps, cfg.batch, rng)
        loss = F.cross_entropy(model(images), styles)
        opt.zero_grad()
        loss.backward()
        opt.step()
        n += 1
        if progress and n % 50 == 0:
            progress(
                "training classifier", min(1.0, (time.monotonic() - began) / cfg.classifier_seconds)
            )
    model.eval()
    val_rng = np.random.default_rng(cfg.seed + 3)
    correct = total = 0
    with torch.inference_mode():
        for _ in range(8):
            images, _, styles, _ = _batch(
                melodies, val_idx or train_idx, zeros, steps, cfg.batch, val_rng
            )
            correct += int((model(images).argmax(1) == styles).sum())
            total += len(styles)
    return model, {"steps": n, "val_accuracy": round(correct / total, 4)}


def train(
    melodies: list[rolls.Melody],
    out_dir: str | Path,
    cfg: PracticeTrainConfig = PracticeTrainConfig(),
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Train both nets and save them as checkpoints under out_dir/<arch>; returns the paths."""
    if not melodies:
        raise ValueError("No melodies to train on: the corpus reading found none.")
    levels = rolls.difficulty_levels(melodies)
    out = Path(out_dir)
    provenance = {
        "data": "music21 corpus (public domain): Bach chorales, Essen folk songs, Ryan's Mammoth",
        "melodies": {s: sum(m.style == s for m in melodies) for s in rolls.STYLES},
        "steps": int(sum(len(m.tokens) for m in melodies)),
        "config": asdict(cfg),
    }
    extra = {"styles": list(rolls.STYLES), "low": rolls.LOW, "steps_per_bar": rolls.STEPS_PER_BAR}
    writer, w_metrics = train_writer(melodies, levels, cfg, progress)
    paths = {
        WRITER: checkpoints.save(
            writer,
            out / WRITER,
            arch=WRITER,
            hparams=_writer_hparams(cfg),
            provenance=provenance,
            metrics=w_metrics,
            extra=extra,
        )
    }
    classifier, c_metrics = train_classifier(melodies, cfg, progress)
    paths[CLASSIFIER] = checkpoints.save(
        classifier,
        out / CLASSIFIER,
        arch=CLASSIFIER,
        hparams={"n_styles": len(rolls.STYLES)},
        provenance=provenance,
        metrics=c_metrics,
        extra=extra,
    )
    log.info("writer %s, classifier %s", w_metrics, c_metrics)
    return paths
