"""Judge a tagger per piece on held-out splits, and calibrate when its labels may be shown.

A label shown to users must not be confidently wrong. The threshold is the
lowest top-label probability at which, on the validation pieces, at least
``TARGET_PRECISION`` of the labels shown are right; the test pieces, never used
to choose it, then report accuracy per label and precision and coverage at
that threshold. A piece is judged like an upload is tagged: the window
probabilities averaged over evenly spaced windows. No Django imports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from generator.engine.diffusion import MelNorm

TARGET_PRECISION = 0.8
MAX_WINDOWS = 32
NEVER = 1.01  # a threshold no probability reaches: show no label at all


@torch.inference_mode()
def piece_probabilities(model: torch.nn.Module, norm: MelNorm, width: int, ds) -> np.ndarray:
    """Mean window probabilities per piece: float32[pieces, classes]."""
    model.eval()
    rows = []
    for mel in ds.mels:
        frames = mel.shape[-1]
        count = min(MAX_WINDOWS, max(1, frames // width))
        starts = np.linspace(0, max(0, frames - width), num=count).round().astype(int)
        crops = [np.asarray(mel[:, s : s + width], dtype=np.float32) for s in starts]
        batch = norm.encode(torch.from_numpy(np.stack(crops))[:, None])
        rows.append(torch.softmax(model(batch), dim=1).mean(dim=0).numpy())
    return np.stack(rows).astype(np.float32)


def calibrate(probs: np.ndarray, labels: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest top probability whose shown labels are right at least ``target`` of the time."""
    top, right = probs.max(axis=1), probs.argmax(axis=1) == labels
    for threshold in np.unique(top):
        shown = top >= threshold
        if right[shown].mean() >= target:
            return round(float(threshold), 4)
    return NEVER


def _report(probs: np.ndarray, labels: np.ndarray, classes: list[str], threshold: float) -> dict:
    top, guess = probs.max(axis=1), probs.argmax(axis=1)
    shown = top >= threshold
    per_label = {}
    for i, name in enumerate(classes):
        mine = labels == i
        if mine.any():
            per_label[name] = {
                "pieces": int(mine.sum()),
                "accuracy": round(float((guess[mine] == i).mean()), 3),
            }
    return {
        "pieces": int(len(labels)),
        "accuracy": round(float((guess == labels).mean()), 3),
        "shown": round(float(shown.mean()), 3),
        "precision_shown": round(float((guess[shown] == labels[shown]).mean()), 3)
        if shown.any()
        else None,
        "per_label": per_label,
    }


def judge(model: torch.nn.Module, norm: MelNorm, width: int, validation, test) -> dict[str, Any]:
    """Threshold from the validation pieces; the figures on both held-out splits."""
    known = [(ds, np.asarray(ds.labels)) for ds in (validation, test)]
    probs = [piece_probabilities(model, norm, width, ds) for ds, _ in known]
    masks = [labels >= 0 for _, labels in known]
    val_probs, val_labels = probs[0][masks[0]], known[0][1][masks[0]]
    threshold = calibrate(val_probs, val_labels)
    classes = list(validation.classes)
    return {
        "threshold": threshold,
        "target_precision": TARGET_PRECISION,
        "validation": _report(val_probs, val_labels, classes, threshold),
        "test": _report(probs[1][masks[1]], known[1][1][masks[1]], classes, threshold),
    }
