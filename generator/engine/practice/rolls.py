"""Turn music21's public-domain corpus into melody token sequences and piano-roll images.

A melody is a sequence of sixteenth-note steps. Each step is one token:
``pitch - LOW`` for a note that starts there, ``HOLD`` for a note that goes on,
``REST`` for silence. Every melody is transposed so its key signature has no
sharps or flats (C major or A minor), so the network learns scale degrees, not
keys; the piece's key is chosen again when it is written out. Only duple and
quadruple metres are kept, so a bar is always 16 steps and the bar position
means the same thing in every piece. No Django imports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

LOW = 48  # C3: the lowest pitch of the key frame
N_PITCHES = 48  # C3..B6
HOLD = N_PITCHES
REST = N_PITCHES + 1
VOCAB = N_PITCHES + 2
STEPS_PER_BAR = 16
STYLES = ("chorale", "folk", "irish")
# Metres whose bars are 2 or 4 beats of a quarter or half note: a bar of 16 steps.
METRES = {"4/4": 16, "2/4": 8, "2/2": 16, "4/2": 32, "C": 16}
WHITE_KEYS = frozenset({0, 2, 4, 5, 7, 9, 11})

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Melody:
    """One melody of the corpus in the key frame: tokens int64[T], T a multiple of 16."""

    style: str
    name: str
    tokens: np.ndarray


def corpus_paths(style: str) -> list[str]:
    """The corpus files of a style, in a fixed order."""
    from music21 import corpus

    core = sorted(str(p) for p in corpus.getCorePaths())
    if style == "chorale":
        return [p for p in core if "/bach/bwv" in p and p.endswith((".mxl", ".xml"))]
    if style == "folk":
        return [p for p in core if "/essenFolksong/" in p]
    if style == "irish":
        return [p for p in core if "/ryansMammoth/" in p]
    raise ValueError(f"Unknown style {style!r}; known: {', '.join(STYLES)}.")


def _scores(path: str) -> Iterator[object]:
    from music21 import converter, stream

    parsed = converter.parse(path)
    if isinstance(parsed, stream.Opus):
        yield from parsed.scores
    else:
        yield parsed


def melody_tokens(score: object) -> np.ndarray | None:
    """The top line of a score's first part as key-frame tokens, or None when unusable."""
    from music21 import interval, key, meter, note, pitch

    part = score.parts[0] if getattr(score, "parts", None) else score
    flat = part.flatten()
    metres = flat.getElementsByClass(meter.TimeSignature)
    if not metres or metres[0].ratioString not in METRES or len(metres) > 1:
        return None
    signatures = flat.getElementsByClass(key.KeySignature)
    sharps = signatures[0].sharps if signatures else 0
    tonic = key.KeySignature(sharps).asKey("major").tonic
    shift = interval.Interval(tonic, pitch.Pitch("C")).semitones % 12
    if shift > 6:
        shift -= 12
    measures = part.getElementsByClass("Measure")
    pickup = 0.0
    if measures:
        first = measures[0]
        pickup = float(first.paddingLeft or 0.0)
    events = []
    for n in flat.notesAndRests:
        start = round((float(n.offset) + pickup) * 4)
        length = round(float(n.quarterLength) * 4)
        if length <= 0:
            continue
        if isinstance(n, note.Rest):
            events.append((start, length, None, False))
            continue
        top = max(p.midi for p in n.pitches)
        tied = n.tie is not None and n.tie.type in ("continue", "stop")
        events.append((start, length, top + shift, tied))
    if not events:
        return None
    end = max(s + n for s, n, _, _ in events)
    total = -(-end // STEPS_PER_BAR) * STEPS_PER_BAR
    tokens = np.full(total, REST, dtype=np.int64)
    pitches = [p for _, _, p, _ in events if p is not None]
    if not pitches:
        return None
    # Octave-shift melodies that sit outside the frame, whole, keeping their shape.
    octave = 0
    while min(pitches) + octave < LOW:
        octave += 12
    while max(pitches) + octave >= LOW + N_PITCHES:
        octave -= 12
    if min(pitches) + octave < LOW:
        return None
    for start, length, p, tied in events:
        if p is None:
            continue
        tokens[start : start + length] = HOLD
        if not tied:
            tokens[start] = p + octave - LOW
    return tokens


def extract(
    styles: tuple[str, ...] = STYLES,
    limit: int | None = None,
    progress: Progress | None = None,
) -> list[Melody]:
    """Parse the corpus into melodies; ``limit`` caps the files read per style."""
    melodies: list[Melody] = []
    for si, style in enumerate(styles):
        paths = corpus_paths(style)[: limit or None]
        for i, path in enumerate(paths):
            try:
                for j, score in enumerate(_scores(path)):
                    tokens = melody_tokens(score)
                    if tokens is not None and len(tokens) >= 4 * STEPS_PER_BAR:
                        melodies.append(Melody(style, f"{Path(path).stem}#{j}", tokens))
            except Exception as exc:  # a file music21 cannot read: skip it, keep going
                log.warning("%s not read: %s", path, exc)
            if progress:
                progress(f"reading {style}", (si + (i + 1) / len(paths)) / len(styles))
    return melodies


def save(melodies: list[Melody], path: str | Path) -> None:
    """Store extracted melodies in one .npz (parsing the corpus takes minutes)."""
    arrays = {f"{m.style}|{m.name}": m.tokens for m in melodies}
    np.savez_compressed(path, **arrays)


def load(path: str | Path) -> list[Melody]:
    with np.load(path) as data:
        return [
            Melody(k.split("|", 1)[0], k.split("|", 1)[1], data[k].astype(np.int64))
            for k in data.files
        ]


def roll(tokens: np.ndarray) -> np.ndarray:
    """Tokens int64[T] -> piano-roll image float32[2, N_PITCHES, T] (sounding, onset)."""
    image = np.zeros((2, N_PITCHES, len(tokens)), dtype=np.float32)
    current = -1
    for t, tok in enumerate(tokens):
        if tok < N_PITCHES:
            current = int(tok)
            image[1, current, t] = 1.0
        elif tok == REST:
            current = -1
        if current >= 0:
            image[0, current, t] = 1.0
    return image


def notes(tokens: np.ndarray) -> list[tuple[int, int, int]]:
    """Tokens -> [(start step, length in steps, key-frame MIDI pitch)]."""
    out: list[tuple[int, int, int]] = []
    for t, tok in enumerate(tokens):
        if tok < N_PITCHES:
            out.append((t, 1, int(tok) + LOW))
        elif tok == HOLD and out and out[-1][0] + out[-1][1] == t:
            s, n, p = out[-1]
            out[-1] = (s, n + 1, p)
    return out


@dataclass(frozen=True)
class Features:
    """What makes a melody hard to play, measured on its notes."""

    density: float  # notes per bar
    span: int  # highest minus lowest pitch, semitones
    accidentals: float  # share of notes off the key's scale
    shortest: float  # shortest note value as a fraction of a whole note (1/16 = 0.0625)


def features(tokens: np.ndarray, transpose: int = 0) -> Features:
    """Measure a melody in the key frame (``transpose`` is ignored for accidentals)."""
    ns = notes(tokens)
    bars = max(1, len(tokens) // STEPS_PER_BAR)
    if not ns:
        return Features(0.0, 0, 0.0, 0.0)
    pitches = [p for _, _, p in ns]
    off = sum(1 for p in pitches if p % 12 not in WHITE_KEYS)
    shortest = min(n for _, n, _ in ns) / STEPS_PER_BAR
    return Features(len(ns) / bars, max(pitches) - min(pitches), off / len(ns), shortest)


def difficulty_score(f: Features) -> float:
    """One number that orders melodies from easy to hard (for the training labels)."""
    return f.density / 8 + f.span / 12 + 4 * f.accidentals + (1 / 16) / max(f.shortest, 1 / 16)


def difficulty_levels(melodies: list[Melody]) -> np.ndarray:
    """Label each melody 0..4 by quintiles of its difficulty score within the corpus."""
    scores = np.array([difficulty_score(features(m.tokens)) for m in melodies])
    edges = np.quantile(scores, [0.2, 0.4, 0.6, 0.8]) if len(scores) else np.zeros(4)
    return np.searchsorted(edges, scores, side="right").astype(np.int64)
