"""Write a practice piece out: MusicXML, engraved SVG (verovio) with its timemap, MIDI, audio, PDF.

music21 builds the score (it splits notes at bar lines and ties them, and
spells pitches in the key); verovio engraves the MusicXML on one tall page, so
one SVG holds the whole piece and the page's cursor needs no page turns, and
its timemap gives each note's onset in milliseconds at the written tempo;
FluidSynth renders the MIDI at 44.1 kHz with the instrument's GM program.
No Django imports.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from generator.engine import audio, corpus_renders
from generator.engine.practice.compose import Piece

AUDIO_RATE = 44_100
# Clef names -> (music21 sign and line, octave shift): the 8vb clefs sound an octave lower.
CLEFS = {
    "treble": ("G2", 0),
    "treble8vb": ("G2", -1),
    "bass": ("F4", 0),
    "bass8vb": ("F4", -1),
    "alto": ("C3", 0),
}


class EngraveError(RuntimeError):
    """The piece could not be written out (a missing tool or SoundFont)."""


@dataclass(frozen=True)
class Engraving:
    musicxml: bytes
    svg: str
    timemap: list[dict[str, Any]]
    midi: bytes


def _spell(midi: int, sharps: int) -> Any:
    """A pitch spelt for its key: no explicit naturals, flats in flat keys."""
    from music21 import pitch

    p = pitch.Pitch(midi=midi)
    alter = p.accidental.alter if p.accidental is not None else 0
    if alter == 0:
        p.accidental = None
    elif (alter > 0) != (sharps >= 0):
        p = p.getEnharmonic()
    return p


def score(piece: Piece, title: str = "") -> Any:
    """The music21 score of a piece: one part, its key, 4/4, tempo and instrument."""
    from music21 import clef, instrument, key, metadata, meter, note, stream, tempo

    part = stream.Part()
    inst = instrument.instrumentFromMidiProgram(piece.instrument.program)
    inst.partName = piece.instrument.name
    part.insert(0, inst)
    sign, shift = CLEFS[piece.instrument.clef]
    part.insert(0, clef.clefFromString(sign, octaveShift=shift))
    part.insert(0, key.KeySignature(piece.sharps).asKey(piece.mode))
    part.insert(0, meter.TimeSignature("4/4"))
    # The tempo sounds (MIDI, timemap) but is not printed: the page shows it in text, and
    # verovio's printed mark needs a music font that the page's policy does not load.
    mark = tempo.MetronomeMark(number=piece.bpm)
    mark.numberImplicit = True
    part.insert(0, mark)
    cursor = 0
    for start, length, midi in piece.notes:
        if start > cursor:
            part.insert(cursor / 4, note.Rest(quarterLength=(start - cursor) / 4))
        part.insert(start / 4, note.Note(_spell(midi, piece.sharps), quarterLength=length / 4))
        cursor = start + length
    total = piece.request.bars * 16
    if cursor < total:
        part.insert(cursor / 4, note.Rest(quarterLength=(total - cursor) / 4))
    part = part.makeNotation()
    out = stream.Score()
    out.metadata = metadata.Metadata(title=title or "Practice piece")
    out.insert(0, part)
    return out


def _musicxml(s: Any) -> bytes:
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    return GeneralObjectExporter(s).parse()


def _midi(s: Any) -> bytes:
    from music21.midi import translate

    return translate.streamToMidiFile(s).writestr()


def _without_style(svg: str) -> str:
    """Move verovio's <style> rules that matter into attributes.

    The site's policy allows no inline <style>, in a page or in an SVG image it
    loads. The rule that draws staff lines, stems and beams (``stroke:
    currentColor``) and the hidden placeholders become presentation attributes; the
    others style text the
    score does not print (tempo, fingering, dynamics) or an editor's cursor.
    """
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r'(class="[^"]*\bplaceholder\b[^"]*")', r'\1 visibility="hidden"', svg)
    return re.sub(
        r"<(path|ellipse|polygon|polyline|rect)\b(?![^>]*\sstroke=)",
        r'<\1 stroke="currentColor"',
        svg,
    )


def engrave(piece: Piece, title: str = "") -> Engraving:
    """Score, MusicXML, one-page SVG, timemap and MIDI of a piece."""
    import verovio

    s = score(piece, title)
    xml = _musicxml(s)
    tk = verovio.toolkit()
    # verovio sets its default resource path at import for that thread only; a web
    # server's worker thread would find no fonts without this.
    tk.setResourcePath(str(resources.files("verovio") / "data"))
    tk.setOptions(
        {
            "pageWidth": 2100,
            "pageHeight": 60000,
            "adjustPageHeight": True,
            "scale": 40,
            "breaks": "auto",
            "footer": "none",
            "header": "auto",
            "smuflTextFont": "none",
        }
    )
    if not tk.loadData(xml.decode()):
        raise EngraveError("verovio could not read the piece's MusicXML.")
    svg = _without_style(tk.renderToSVG(1))
    timemap = tk.renderToTimemap({"includeMeasures": True})
    if isinstance(timemap, str):
        timemap = json.loads(timemap)
    return Engraving(xml, svg, timemap, _midi(s))


def render_audio(midi: bytes) -> np.ndarray:
    """Render MIDI with FluidSynth at 44.1 kHz: mono float32[T]."""
    sf2 = corpus_renders.soundfont()
    if sf2 is None:
        raise EngraveError(
            "No General MIDI SoundFont installed (apt-get install fluid-soundfont-gm)."
        )
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "piece.mid"
        wav = Path(tmp) / "piece.wav"
        mid.write_bytes(midi)
        corpus_renders.render_midi(mid, wav, sf2, sample_rate=AUDIO_RATE, gain=0.6)
        samples, rate = sf.read(wav, dtype="float32", always_2d=True)
    if rate != AUDIO_RATE:
        raise EngraveError(f"FluidSynth wrote {rate} Hz, not {AUDIO_RATE}.")
    return samples.mean(axis=1)


def encode_audio(samples: np.ndarray, fmt: str = "flac") -> bytes:
    """FLAC: every current browser plays it, and it encodes 20x faster than MP3."""
    return audio.encode(samples, fmt, sample_rate=AUDIO_RATE)


def pdf(svg: str) -> bytes:
    """The engraved page as PDF (cairosvg draws verovio's SVG, fonts are paths already)."""
    import cairosvg

    return cairosvg.svg2pdf(bytestring=svg.encode())


@dataclass(frozen=True)
class Outputs:
    """Every file of a practice piece, in memory."""

    engraving: Engraving
    audio: bytes  # FLAC, 44.1 kHz mono
    pdf: bytes
    seconds: float


def write_out(piece: Piece, title: str = "") -> Outputs:
    """Engrave, render and encode a piece: what the page and the downloads need."""
    engraving = engrave(piece, title)
    samples = render_audio(engraving.midi)
    return Outputs(engraving, encode_audio(samples), pdf(engraving.svg), len(samples) / AUDIO_RATE)
