"""Write a practice melody with the trained CNN, under the controls a difficulty level sets.

The network proposes each sixteenth step; the level and the instrument decide
what it may choose from. Masks enforce what must hold (the pitch window inside
the instrument's range, the shortest note value, no accidentals at the first
levels, a final tonic); small logit biases nudge what is a tendency (more
accidentals and shorter notes as the level rises). The level is also the
network's own conditioning, learned from the corpus melodies' difficulty.
No Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from generator.engine.practice import rolls

# GM program groups of eight, in the order of the General MIDI specification.
GM_FAMILIES = (
    "Piano", "Chromatic percussion", "Organ", "Guitar", "Bass", "Strings", "Ensemble", "Brass",
    "Reed", "Pipe", "Synth lead", "Synth pad", "Synth effects", "Ethnic", "Percussive",
    "Sound effects",
)  # fmt: skip


@dataclass(frozen=True)
class Instrument:
    """A melody instrument: its General MIDI program and its playable range (sounding MIDI)."""

    slug: str
    name: str
    program: int  # 0-based GM program
    low: int
    high: int
    clef: str = "treble"

    @property
    def family(self) -> str:
        return GM_FAMILIES[self.program // 8]


# Sounding ranges of common student instruments (concert pitch, the score is written so).
INSTRUMENTS: dict[str, Instrument] = {
    i.slug: i
    for i in (
        Instrument("piano", "Piano (right hand)", 0, 48, 88),
        Instrument("marimba", "Marimba", 12, 45, 96),
        Instrument("organ", "Church organ", 19, 36, 96),
        Instrument("guitar", "Classical guitar", 24, 40, 83, "treble8vb"),
        Instrument("bass", "Acoustic bass", 32, 28, 55, "bass8vb"),
        Instrument("violin", "Violin", 40, 55, 96),
        Instrument("viola", "Viola", 41, 48, 84, "alto"),
        Instrument("cello", "Cello", 42, 36, 76, "bass"),
        Instrument("trumpet", "Trumpet", 56, 54, 82),
        Instrument("trombone", "Trombone", 57, 40, 72, "bass"),
        Instrument("horn", "French horn", 60, 41, 77),
        Instrument("tuba", "Tuba", 58, 28, 58, "bass"),
        Instrument("alto_sax", "Alto saxophone", 65, 49, 81),
        Instrument("oboe", "Oboe", 68, 58, 91),
        Instrument("bassoon", "Bassoon", 70, 34, 75, "bass"),
        Instrument("clarinet", "Clarinet", 71, 50, 91),
        Instrument("flute", "Flute", 73, 60, 96),
        Instrument("recorder", "Recorder", 74, 72, 98),
    )
}


@dataclass(frozen=True)
class Level:
    """What one difficulty level allows."""

    span: int  # widest interval between lowest and highest note, semitones
    grid: int  # shortest note value in sixteenths (4 = quarter)
    max_sharps: int  # key signatures from -max..+max sharps
    chromatic: float | None  # logit bias for notes off the scale; None = not allowed
    hold_bias: float  # logit bias for holding a note (longer notes)
    bpm: int
    bars: int  # default length


LEVELS: dict[int, Level] = {
    1: Level(7, 4, 0, None, 1.0, 66, 8),
    2: Level(9, 2, 1, None, 0.6, 80, 8),
    3: Level(12, 2, 2, -2.5, 0.2, 92, 12),
    4: Level(16, 1, 3, -1.0, -0.8, 104, 16),
    5: Level(21, 1, 4, 0.0, -0.6, 116, 16),
}
MAX_BARS = 32


class ComposeError(ValueError):
    """A request the writer cannot satisfy; the message says what to change."""


@dataclass(frozen=True)
class Request:
    style: str
    level: int
    bars: int
    instrument: str
    seed: int = 0

    def check(self) -> None:
        if self.style not in rolls.STYLES:
            raise ComposeError(f"Unknown style {self.style!r}; choose {', '.join(rolls.STYLES)}.")
        if self.level not in LEVELS:
            raise ComposeError("Difficulty must be 1 to 5.")
        if not 2 <= self.bars <= MAX_BARS:
            raise ComposeError(f"Length must be 2 to {MAX_BARS} bars.")
        if self.instrument not in INSTRUMENTS:
            raise ComposeError(f"Unknown instrument {self.instrument!r}.")


@dataclass(frozen=True)
class Piece:
    """A written melody: key-frame tokens, and how to write them out."""

    request: Request
    tokens: np.ndarray  # int64[bars * 16], key frame
    sharps: int  # key signature
    mode: str  # "major" or "minor"
    transpose: int  # semitones from the key frame to sounding pitch
    bpm: int
    notes: list[tuple[int, int, int]] = field(default_factory=list)  # sounding (start, len, midi)

    @property
    def instrument(self) -> Instrument:
        return INSTRUMENTS[self.request.instrument]


def _key_offset(sharps: int) -> int:
    """Semitones from C to the major tonic of a key signature, in -5..6."""
    return ((sharps * 7) + 5) % 12 - 5


def _window(inst: Instrument, level: Level, offset: int, tonic: int) -> tuple[int, int, int]:
    """Choose (frame low, frame high, octave shift): a span starting on the tonic, playable.

    The window sits in the key frame where the corpus melodies live (near C5)
    and its sounding copy, moved by offset plus whole octaves, inside the
    instrument's range; a narrow instrument narrows the span.
    """
    span = min(level.span, inst.high - inst.low)
    best = None
    for low in range(rolls.LOW, rolls.LOW + rolls.N_PITCHES - span):
        if low % 12 != tonic % 12:
            continue
        for octave in range(-4, 5):
            lo = low + offset + 12 * octave
            if lo < inst.low or lo + span > inst.high:
                continue
            # Prefer the middle of the instrument and a frame near the corpus's centre.
            cost = abs(lo + span / 2 - (inst.low + inst.high) / 2) + abs(low + span / 2 - 70)
            if best is None or cost < best[0]:
                best = (cost, low, octave)
    if best is None:  # no tonic-aligned window fits: take the lowest playable one
        for low in range(rolls.LOW, rolls.LOW + rolls.N_PITCHES - span):
            for octave in range(-4, 5):
                lo = low + offset + 12 * octave
                if inst.low <= lo and lo + span <= inst.high:
                    return low, low + span, octave
        raise ComposeError(f"{inst.name} cannot play in any window of this level.")
    return best[1], best[1] + span, best[2]


@torch.inference_mode()
def compose(
    writer: torch.nn.Module,
    requests: list[Request],
    temperature: float = 0.9,
) -> list[Piece]:
    """Write one piece per request, all in one batch (the requests share their bar count)."""
    for r in requests:
        r.check()
    if len({r.bars for r in requests}) != 1:
        raise ComposeError("A batch of requests must share its length in bars.")
    bars = requests[0].bars
    total = bars * rolls.STEPS_PER_BAR
    b = len(requests)
    plans = []
    for r in requests:
        rng = np.random.default_rng(r.seed)
        level = LEVELS[r.level]
        sharps = int(rng.integers(-level.max_sharps, level.max_sharps + 1))
        mode = "major" if rng.random() < 0.7 else "minor"
        tonic = 60 if mode == "major" else 57
        offset = _key_offset(sharps)
        low, high, octave = _window(INSTRUMENTS[r.instrument], level, offset, tonic)
        plans.append((level, sharps, mode, tonic, low, high, offset + 12 * octave))

    vocab = rolls.VOCAB
    pitch_mask = torch.full((b, vocab), float("-inf"))
    bias = torch.zeros(b, vocab)
    finals = torch.full((b, vocab), float("-inf"))
    for i, (level, _, _, tonic, low, high, _) in enumerate(plans):
        for p in range(low, high + 1):
            white = p % 12 in rolls.WHITE_KEYS
            if white or level.chromatic is not None:
                pitch_mask[i, p - rolls.LOW] = 0.0
            if not white and level.chromatic is not None:
                bias[i, p - rolls.LOW] = level.chromatic
            if p % 12 == tonic % 12:
                finals[i, p - rolls.LOW] = 0.0
        bias[i, rolls.HOLD] = level.hold_bias
    grids = torch.tensor([plan[0].grid for plan in plans])
    styles = torch.tensor([rolls.STYLES.index(r.style) for r in requests])
    levels = torch.tensor([r.level - 1 for r in requests])

    # One bar of rest before the piece: the writer's context for its first note.
    lead = rolls.STEPS_PER_BAR
    tokens = torch.full((b, lead + total), rolls.REST, dtype=torch.long)
    image = torch.zeros(b, 2, rolls.N_PITCHES, lead + total)
    sounding = torch.full((b,), -1, dtype=torch.long)
    run = torch.zeros(b, dtype=torch.long)  # steps the current note or rest has lasted
    gen = torch.Generator().manual_seed(int(requests[0].seed))
    last_bar = total - rolls.STEPS_PER_BAR
    rows = torch.arange(b)
    # The writer goes column by column, keeping its own history (MelodyCNN.step).
    history: list[list[torch.Tensor]] = [[] for _ in writer.blocks]

    def column(a: int) -> torch.Tensor:
        return writer.step(image[:, :, :, max(0, a - 6) : a + 1], styles, levels, a, history)

    for a in range(lead - 1):
        column(a)
    for t in range(total):
        pos = lead + t  # index of the token being chosen, from the column before it
        logits = column(pos - 1) / temperature + bias
        on_grid = (t % grids) == 0
        allowed = pitch_mask.clone()
        allowed[:, rolls.REST] = 0.0
        allowed[:, rolls.HOLD] = torch.where(sounding >= 0, 0.0, float("-inf"))
        # No note longer than a whole bar, no rest longer than half a bar.
        allowed[:, rolls.HOLD] = torch.where(
            run >= rolls.STEPS_PER_BAR, float("-inf"), allowed[:, rolls.HOLD]
        )
        long_rest = (sounding < 0) & (run >= rolls.STEPS_PER_BAR // 2)
        allowed[:, rolls.REST] = torch.where(long_rest, float("-inf"), allowed[:, rolls.REST])
        if t == 0:
            allowed[:, rolls.REST] = float("-inf")
        if t == last_bar:
            allowed = finals.clone()
        elif t > last_bar:
            allowed = torch.full((b, vocab), float("-inf"))
            allowed[:, rolls.HOLD] = 0.0
        off_grid = torch.full((b, vocab), float("-inf"))
        off_grid[rows, torch.where(sounding >= 0, rolls.HOLD, rolls.REST)] = 0.0
        allowed = torch.where(on_grid[:, None] | (t >= last_bar), allowed, off_grid)
        probs = torch.softmax(logits + allowed, dim=-1)
        choice = torch.multinomial(probs, 1, generator=gen)[:, 0]
        tokens[:, pos] = choice
        onset = choice < rolls.N_PITCHES
        run = torch.where(
            (choice == rolls.HOLD) | ((choice == rolls.REST) & (sounding < 0)), run + 1, 1
        )
        sounding = torch.where(onset, choice, torch.where(choice == rolls.REST, -1, sounding))
        held = sounding >= 0
        image[rows[held], 0, sounding[held], pos] = 1.0
        image[rows[onset], 1, choice[onset], pos] = 1.0

    pieces = []
    for i, r in enumerate(requests):
        level, sharps, mode, _, _, _, transpose = plans[i]
        frame = tokens[i, lead:].numpy().copy()
        sounding_notes = [(s, n, p + transpose) for s, n, p in rolls.notes(frame)]
        inst = INSTRUMENTS[r.instrument]
        outside = [p for _, _, p in sounding_notes if not inst.low <= p <= inst.high]
        if outside:  # the masks make this impossible; refuse rather than hand it out
            raise ComposeError(f"Notes {outside[:3]} are outside the {inst.name}'s range.")
        pieces.append(Piece(r, frame, sharps, mode, transpose, level.bpm, sounding_notes))
    return pieces
