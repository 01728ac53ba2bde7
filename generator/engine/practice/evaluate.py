"""Measure written practice pieces: difficulty controls, playability, copying, style.

Every figure is measured on pieces the writer makes in the same run; the
copying check compares each 8-bar window of every piece with every 8-bar
window (at every sixteenth offset) of the melodies the writer was trained on,
transposition-invariantly (pitches relative to the window's first note), so a
copied phrase in another key or octave still counts. No Django imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from generator.engine.practice import compose, rolls

WINDOW = 8 * rolls.STEPS_PER_BAR
# Instruments the evaluation cycles through: high, middle and low ranges.
INSTRUMENTS = ("violin", "flute", "clarinet", "trumpet", "cello", "tuba", "guitar", "piano")

Progress = Callable[[str, float], None]


def _shape(window: np.ndarray) -> bytes:
    """A window with pitches made relative to its first onset: the same tune in any key."""
    onsets = window[window < rolls.N_PITCHES]
    if not len(onsets):
        return window.astype(np.int16).tobytes()
    rel = np.where(window < rolls.N_PITCHES, window - onsets[0] + 100, window)
    return rel.astype(np.int16).tobytes()


def phrase_index(melodies: list[rolls.Melody]) -> set[bytes]:
    """Every 8-bar window of the corpus melodies, at every step, transposition-invariant."""
    index: set[bytes] = set()
    for m in melodies:
        for start in range(0, len(m.tokens) - WINDOW + 1):
            index.add(_shape(m.tokens[start : start + WINDOW]))
    return index


def copied_windows(tokens: np.ndarray, index: set[bytes]) -> int:
    """How many 8-bar windows of a piece (at every step) are in the corpus index."""
    return sum(_shape(tokens[s : s + WINDOW]) in index for s in range(0, len(tokens) - WINDOW + 1))


@torch.inference_mode()
def classify(classifier: torch.nn.Module, tokens: np.ndarray) -> int:
    """The style the classifier names for a piece: mean logits over its 8-bar windows."""
    starts = range(0, max(1, len(tokens) - WINDOW + 1), rolls.STEPS_PER_BAR)
    images = np.stack([rolls.roll(tokens[s : s + WINDOW]) for s in starts])
    return int(classifier(torch.from_numpy(images)).mean(0).argmax())


@dataclass(frozen=True)
class LevelRow:
    level: int
    pieces: int
    density: float  # notes per bar, mean
    span: float  # semitones, mean
    accidentals: float  # share of notes off the key's scale, mean
    shortest: float  # shortest note value (fraction of a whole note), median
    out_of_range: int  # notes outside the instrument, total
    copied: int  # pieces with an 8-bar window found in the corpus
    style_hits: int  # pieces the classifier names as the requested style


def evaluate(
    writer: torch.nn.Module,
    classifier: torch.nn.Module,
    corpus: list[rolls.Melody],
    per_level: int = 50,
    bars: int = 16,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[LevelRow]:
    """Write per_level pieces at each level (styles and instruments in turn) and measure them."""
    index = phrase_index(corpus)
    rows = []
    for level in compose.LEVELS:
        requests = [
            compose.Request(
                rolls.STYLES[i % len(rolls.STYLES)],
                level,
                bars,
                INSTRUMENTS[i % len(INSTRUMENTS)],
                seed=seed + 1000 * level + i,
            )
            for i in range(per_level)
        ]
        pieces = compose.compose(writer, requests)
        feats = [rolls.features(p.tokens) for p in pieces]
        out = sum(
            sum(1 for _, _, m in p.notes if not p.instrument.low <= m <= p.instrument.high)
            for p in pieces
        )
        hits = sum(
            classify(classifier, p.tokens) == rolls.STYLES.index(p.request.style) for p in pieces
        )
        rows.append(
            LevelRow(
                level=level,
                pieces=len(pieces),
                density=float(np.mean([f.density for f in feats])),
                span=float(np.mean([f.span for f in feats])),
                accidentals=float(np.mean([f.accidentals for f in feats])),
                shortest=float(np.median([f.shortest for f in feats])),
                out_of_range=out,
                copied=sum(copied_windows(p.tokens, index) > 0 for p in pieces),
                style_hits=int(hits),
            )
        )
        if progress:
            progress("evaluating", level / len(compose.LEVELS))
    return rows


def markdown(rows: list[LevelRow]) -> str:
    """The table for docs/practice.md."""
    lines = [
        "| Level | Pieces | Notes per bar | Range (semitones) | Accidentals | Shortest note "
        "(median) | Notes out of range | Pieces with a copied 8-bar phrase | Style named right |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.level} | {r.pieces} | {r.density:.2f} | {r.span:.1f} | "
            f"{100 * r.accidentals:.1f} % | {Fraction(r.shortest).limit_denominator(16)} | "
            f"{r.out_of_range} | "
            f"{r.copied} | {100 * r.style_hits / r.pieces:.0f} % |"
        )
    total = sum(r.pieces for r in rows)
    hits = sum(r.style_hits for r in rows)
    lines.append(f"\nStyle named right over all {total} pieces: {100 * hits / total:.0f} %.")
    return "\n".join(lines) + "\n"
