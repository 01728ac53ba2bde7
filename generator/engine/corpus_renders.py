"""Render music21's public-domain scores with FluidSynth for the corpus.

Four sets, each piece with choices drawn from a generator seeded by its name
(so a resumed build renders the same thing, and a piece's choices do not
depend on which others were rendered):

- ``chorales``: Bach's chorales, all voices on one General MIDI program from
  one instrument family (label "chorale").
- ``folk``: fiddle tunes from Ryan's Mammoth Collection on a folk lead
  (fiddle, flute, whistle, accordion, banjo...) over a drum pattern for the
  tune's metre on General MIDI's drum channel 10, played through up to four
  times (label "folk_world").
- ``piano``: keyboard and chamber works (Joplin's rag, Beethoven, Mozart,
  Schumann, Chopin...) with every part on a piano (label "piano").
- ``choir``: Palestrina's masses on choir voices or organ (label "chorale").

Audio is FluidSynth's stereo output at 44.1 kHz, written as FLAC. The scores
are public domain and the SoundFont (FluidR3_GM) is MIT, hence the licence
"PD score + MIT soundfont". No Django imports.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from generator.engine.corpus_audio import SAMPLE_RATE

log = logging.getLogger(__name__)

LICENCE = "PD score + MIT soundfont"
SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
)
SETS = ("chorales", "folk", "piano", "choir")
# Pieces per set when no limit is given: every chorale, and a seeded choice of
# the 1,059 fiddle tunes, the 69 keyboard and chamber works (large scores take
# music21 half a minute each to read) and the 1,318 Palestrina movements.
CAPS = {"chorales": None, "folk": 160, "piano": 16, "choir": 12}

# General MIDI programs (0-based) per instrument family, for the chorales.
GM_FAMILIES: dict[str, tuple[int, ...]] = {
    "piano": (0, 1, 2, 4),
    "mallets": (8, 11, 12, 13),
    "organ": (16, 19, 20),
    "guitar": (24, 25, 26, 27),
    "strings": (40, 41, 42, 48, 49),
    "brass": (56, 57, 60, 61),
    "woodwind": (68, 70, 71, 73),
}
FOLK_LEADS = {
    "fiddle": 110,
    "flute": 73,
    "whistle": 78,
    "accordion": 21,
    "banjo": 105,
    "harmonica": 22,
    "guitar": 25,
}
PIANOS = (0, 1, 2)
CHOIR = {"choir": 52, "voices": 53, "organ": 19}
PIANO_COMPOSERS = (
    "joplin",
    "beethoven",
    "mozart",
    "haydn",
    "schumann_robert",
    "schumann_clara",
    "chopin",
    "schubert",
    "beach",
    "handel",
    "cpebach",
)

# One bar of drums per metre family: (offset in quarter notes, GM drum key).
KICK, SIDE_STICK, SNARE, CLOSED_HAT, TAMBOURINE, SHAKER = 36, 37, 38, 42, 54, 70
DRUM_BARS: dict[str, tuple[tuple[float, int], ...]] = {
    "duple": ((0, KICK), (1, SNARE), (2, KICK), (3, SNARE)),  # per 4 quarters
    "compound": ((0, KICK), (1.5, SNARE)),  # per 3 quarters (6/8)
    "triple": ((0, KICK), (1, SNARE), (2, SNARE)),  # per 3 quarters (waltz)
}


@dataclass(frozen=True)
class Render:
    """One rendered piece, written under the corpus directory."""

    piece: str
    set: str
    rel: str  # path relative to the corpus directory
    style: str
    labels: dict[str, Any] = field(default_factory=dict)


def soundfont() -> Path | None:
    return next((sf2 for sf2 in SOUNDFONTS if sf2.exists()), None)


def available() -> str:
    """Empty when renders can run here; else what is missing."""
    if shutil.which("fluidsynth") is None or soundfont() is None:
        return "fluidsynth or a GM SoundFont (apt-get install fluidsynth fluid-soundfont-gm)"
    try:
        import music21  # noqa: F401
    except ImportError:
        return "music21 (pip install music21)"
    return ""


def piece_rng(seed: int, piece: str) -> random.Random:
    """A generator for one piece's choices, independent of every other piece."""
    digest = hashlib.sha256(f"{seed}:{piece}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _paths(kind: str) -> list[str]:
    from music21 import corpus as m21corpus

    def stem_of(p: Any) -> str:
        return Path(str(p)).name

    if kind == "chorales":
        found = [p for p in m21corpus.getComposer("bach") if str(p).endswith(".mxl")]
        return sorted(str(p) for p in found if "/bwv" in str(p))
    if kind == "folk":
        return sorted(str(p) for p in m21corpus.getComposer("ryansMammoth"))
    if kind == "piano":
        out = []
        for composer in PIANO_COMPOSERS:
            out += [str(p) for p in m21corpus.getComposer(composer)]
        return sorted(set(out), key=stem_of)
    if kind == "choir":
        return sorted(str(p) for p in m21corpus.getComposer("palestrina"))
    raise ValueError(kind)


def _first_score(parsed: Any) -> Any:
    from music21 import stream

    if isinstance(parsed, stream.Opus):
        return parsed.scores[0]
    return parsed


def _set_programs(score: Any, programs: list[int], bpm: float) -> None:
    from music21 import instrument, tempo

    for i, part in enumerate(score.parts):
        for old in part.recurse().getElementsByClass(instrument.Instrument):
            part.remove(old, recurse=True)
        for old in part.recurse().getElementsByClass(tempo.MetronomeMark):
            part.remove(old, recurse=True)
        inst = instrument.Instrument()
        inst.midiProgram = programs[i % len(programs)]
        part.insert(0, inst)
        if i == 0:
            part.insert(0, tempo.MetronomeMark(number=bpm))


def _metre(score: Any) -> str:
    """The drum pattern's family for the score's first time signature."""
    from music21 import meter

    ts = score.recurse().getElementsByClass(meter.TimeSignature).first()
    if ts is None:
        return "duple"
    if ts.denominator == 8 and ts.numerator % 3 == 0:
        return "compound"
    if ts.numerator == 3:
        return "triple"
    return "duple"


def _drum_part(length: float, metre: str, hats: int, snare: int) -> Any:
    """A drum part (pitches are GM drum keys) with hats on every eighth or beat."""
    from music21 import instrument, note, stream

    part = stream.Part()
    part.insert(0, instrument.Instrument())
    pattern = DRUM_BARS[metre]
    span = {"duple": 4.0, "compound": 3.0, "triple": 3.0}[metre]
    step = 0.5
    t = 0.0
    while t < length:
        hits = [(t + off, snare if key == SNARE else key) for off, key in pattern]
        hits += [(t + k * step, hats) for k in range(int(span / step))]
        for at, key in hits:
            if at < length:
                n = note.Note(quarterLength=0.25)
                n.pitch.midi = key
                n.volume.velocity = 100 if key == KICK else 70
                part.insert(at, n)
        t += span
    part.makeMeasures(inPlace=True)  # MIDI export processes repeats, which needs measures
    return part


def _write_midi(score: Any, path: Path, drum_track: int | None) -> None:
    """Write MIDI; the drum part's events move to channel 10, General MIDI's drum channel."""
    from music21 import midi

    mf = midi.translate.streamToMidiFile(score)
    if drum_track is not None:
        # Track 0 holds tempo and metadata; part i is track i + 1.
        for event in mf.tracks[drum_track + 1].events:
            if getattr(event, "channel", None) is not None:
                event.channel = 10
    for track in mf.tracks:
        _all_notes_off(track)
    mf.open(str(path), "wb")
    try:
        mf.write()
    finally:
        mf.close()


def _all_notes_off(track: Any) -> None:
    """End the track with "all notes off" and "all sound off" on each channel it plays.

    FluidSynth renders until every voice is silent; a note music21 leaves
    hanging (a grace note: its note-off lands before its note-on)
    on a sustaining instrument would otherwise render for ever.
    """
    from music21 import midi

    channels = sorted(
        {e.channel for e in track.events if getattr(e, "isNoteOn", None) and e.isNoteOn()}
    )
    extra: list[Any] = []
    for channel in channels:
        for controller in (123, 120):
            event = midi.MidiEvent(
                track=track, type=midi.ChannelVoiceMessages.CONTROLLER_CHANGE, channel=channel
            )
            event.parameter1, event.parameter2 = controller, 0
            extra += [event, midi.DeltaTime(track=track, time=0)]
    track.events[-1:-1] = extra  # before END_OF_TRACK


def render_midi(
    mid: Path,
    wav: Path,
    sf2: Path,
    sample_rate: int = SAMPLE_RATE,
    gain: float = 0.5,
    timeout: float = 120,
) -> None:
    """Render a MIDI file to a WAV file with FluidSynth and a General MIDI SoundFont."""
    subprocess.run(
        ["fluidsynth", "-ni", "-q", "-g", str(gain), "-r", str(sample_rate), "-F", str(wav)]
        + [str(sf2), str(mid)],
        check=True,
        capture_output=True,
        timeout=timeout,
    )


def _synth(mid: Path, sf2: Path, workdir: Path, timeout: float = 120) -> np.ndarray:
    wav = workdir / "render.wav"
    render_midi(mid, wav, sf2, timeout=timeout)
    samples, _ = sf.read(str(wav), dtype="float32", always_2d=True)
    return samples


def _stems(paths: list[str]) -> dict[str, str]:
    """A unique name per score: its file name, or its folders too where names repeat.

    Quartets ship as beethoven/opus18no1/movement1.mxl, haydn/opus74no1/movement1.mxl...
    """
    counts = Counter(Path(p).stem for p in paths)
    out = {}
    for p in paths:
        stem = Path(p).stem
        if counts[stem] > 1:
            stem = "-".join(Path(p).with_suffix("").parts[-3:])
        out[p] = stem
    return out


def _render_one(kind: str, path: str, stem: str, seed: int, sf2: Path, workdir: Path):
    """Render one score: (samples float32[T, 2], piece name, style, labels)."""
    from music21 import corpus as m21corpus

    name = f"{kind}/{stem}"
    rng = piece_rng(seed, name)
    score = _first_score(m21corpus.parse(path))
    mid = workdir / "score.mid"
    if kind == "chorales":
        family = rng.choice(sorted(GM_FAMILIES))
        program = rng.choice(GM_FAMILIES[family])
        bpm = rng.uniform(60, 132)
        _set_programs(score, [program], bpm)
        _write_midi(score, mid, None)
        labels = {"instrument": family, "gm_program": program, "bpm": round(bpm, 1)}
        return _synth(mid, sf2, workdir), name, "chorale", labels
    if kind == "piano":
        program = rng.choice(PIANOS)
        bpm = rng.uniform(80, 140)
        _set_programs(score, [program], bpm)
        _write_midi(score, mid, None)
        labels = {"instrument": "piano", "gm_program": program, "bpm": round(bpm, 1)}
        return _synth(mid, sf2, workdir), name, "piano", labels
    if kind == "choir":
        voice = rng.choice(sorted(CHOIR))
        bpm = rng.uniform(70, 110)
        _set_programs(score, [CHOIR[voice]], bpm)
        _write_midi(score, mid, None)
        labels = {"instrument": voice, "gm_program": CHOIR[voice], "bpm": round(bpm, 1)}
        return _synth(mid, sf2, workdir), name, "chorale", labels
    # folk: lead + drums, the tune played through until about 40 s.
    try:
        score = score.expandRepeats()  # so the drums last as long as the tune is played
    except Exception as exc:  # music21 could not read the repeats: play the tune as written
        log.info("%s: repeats not expanded (%s)", name, exc)
    lead = rng.choice(sorted(FOLK_LEADS))
    metre = _metre(score)
    bpm = {"compound": rng.uniform(140, 180), "triple": rng.uniform(120, 160)}.get(
        metre, rng.uniform(90, 130)
    )
    length = float(score.highestTime)
    hats = rng.choice((CLOSED_HAT, TAMBOURINE, SHAKER))
    snare = rng.choice((SNARE, SIDE_STICK))
    _set_programs(score, [FOLK_LEADS[lead]], bpm)
    drums = _drum_part(length, metre, hats, snare)
    score.insert(0, drums)
    _write_midi(score, mid, len(score.parts) - 1)
    samples = _synth(mid, sf2, workdir)
    once = min(len(samples), int(length * 60 / bpm * SAMPLE_RATE))
    times = max(1, min(4, math.ceil(40 * SAMPLE_RATE / max(once, 1))))
    samples = np.concatenate([samples[:once]] * (times - 1) + [samples])
    labels = {"instrument": lead, "gm_program": FOLK_LEADS[lead], "bpm": round(bpm, 1)}
    labels |= {"drums": True, "metre": metre, "times": times}
    return samples, name, "folk_world", labels


def render(
    kind: str,
    limit: int | None,
    seed: int,
    write: Callable[[str, np.ndarray], bool],
    done: Mapping[str, Render],
) -> Iterator[Render]:
    """Render up to ``limit`` pieces of one set, skipping those already written.

    ``write(rel, samples)`` stores a render (False if silent); ``done`` maps
    the paths an earlier run wrote to their renders. A score music21 or
    FluidSynth cannot handle is logged and skipped.
    """
    sf2 = soundfont()
    assert sf2 is not None
    paths = _paths(kind)
    stems = _stems(paths)  # over the whole set, so a name does not depend on the cap
    # A seeded choice spreads a limited set over the whole collection.
    paths.sort(key=lambda p: hashlib.sha256(f"{seed}:{p}".encode()).hexdigest())
    paths = paths[: limit or CAPS[kind]]
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(paths):
            stem = stems[path]
            rel = f"audio/renders/{kind}/{stem}.flac"
            if rel in done:
                yield done[rel]
                continue
            try:
                samples, name, style, labels = _render_one(kind, path, stem, seed, sf2, Path(tmp))
            except Exception as exc:  # a score music21 cannot lay out: skip it, keep going
                log.warning("%s not rendered: %s", path, exc)
                continue
            if write(rel, samples):
                yield Render(name, kind, rel, style, labels)
