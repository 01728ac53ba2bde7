"""Build the training corpus from sources we may use, and read it back.

Sources (each skipped, with a log line, when absent on the machine):
- ``shared``: the real recordings in ../shared/data/audio (librosa's example
  data; see its ATTRIBUTION.md). The robin and the speech are "not music": the
  tagger learns them as a negative class, the U-Net never sees them.
- ``wesnoth``: Debian's wesnoth-1.16-music (GPL-2+), real orchestral recordings.
- ``chorales``: Bach chorales from music21's bundled corpus (public domain),
  rendered with FluidSynth and a General MIDI SoundFont, each with a General
  MIDI program from one instrument family and a tempo drawn per piece.

Every piece is written as 22,050 Hz mono FLAC under ``OUT/audio/`` and listed
in ``OUT/manifest.json`` with its source, licence, labels and split. The split
is by piece (never by window), so no window of a validation piece is trained on.
No Django imports.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from generator.engine import audio
from generator.engine.contract import Progress

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SHARED_AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "audio"
WESNOTH_MUSIC = Path("/usr/share/games/wesnoth/1.16/data/core/music")
SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
)

# The shared recordings we use, with what we know of them. The 44.1 kHz stereo
# copy of "Vibe Ace" is the same piece and is left out so it cannot leak
# across the split.
SHARED = {
    "brahms_hungarian_dance_5.ogg": ("orchestral", "Public Domain", "validation", True),
    "macleod_vibe_ace.ogg": ("jazz", "CC BY 3.0", "train", True),
    "sorohanro_solo_trumpet.ogg": ("brass", "CC BY 3.0", "validation", True),
    "librispeech_198-209-0000.ogg": ("not_music", "CC BY 4.0", "train", False),
    "inspectorj_robin.ogg": ("not_music", "CC BY 3.0", "validation", False),
}

# General MIDI programs (0-based) per instrument family, for the renders.
GM_FAMILIES: dict[str, tuple[int, ...]] = {
    "piano": (0, 1, 2, 4),
    "mallets": (8, 11, 12, 13),
    "organ": (16, 19, 20),
    "guitar": (24, 25, 26, 27),
    "strings": (40, 41, 42, 48, 49),
    "brass": (56, 57, 60, 61),
    "woodwind": (68, 70, 71, 73),
}

TAGS = (*GM_FAMILIES, "orchestral", "jazz", "not_music")


@dataclass(frozen=True)
class Piece:
    """One piece of the corpus: a file and what we know about it."""

    piece: str
    source: str
    licence: str
    path: str  # relative to the corpus directory
    seconds: float
    split: str  # "train" or "validation"
    labels: dict[str, Any] = field(default_factory=dict)


def _write(out: Path, rel: str, samples: np.ndarray) -> float:
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    sf.write(target, samples, audio.SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return len(samples) / audio.SAMPLE_RATE


def _crop(samples: np.ndarray, max_seconds: float | None) -> np.ndarray:
    if max_seconds is None:
        return samples
    return samples[: int(max_seconds * audio.SAMPLE_RATE)]


def _split_pieces(names: list[str], fraction: float, rng: random.Random) -> set[str]:
    """Choose validation pieces: a fraction, at least one when there are two or more."""
    names = sorted(names)
    rng.shuffle(names)
    n_val = round(len(names) * fraction)
    if len(names) >= 2:
        n_val = max(1, n_val)
    return set(names[:n_val])


def _shared(out: Path, max_seconds: float | None, limit: int | None) -> list[Piece]:
    if not SHARED_AUDIO.is_dir():
        log.warning("shared recordings not found at %s: skipped", SHARED_AUDIO)
        return []
    pieces = []
    for name, (tag, licence, split, music) in list(SHARED.items())[: limit or None]:
        path = SHARED_AUDIO / name
        if not path.exists():
            log.warning("shared recording %s missing: skipped", name)
            continue
        rel = f"audio/shared/{Path(name).stem}.flac"
        seconds = _write(out, rel, _crop(audio.load(path), max_seconds))
        labels = {"tag": tag, "music": music}
        pieces.append(
            Piece(f"shared/{Path(name).stem}", "shared", licence, rel, seconds, split, labels)
        )
    return pieces


def _wesnoth(
    out: Path, max_seconds: float | None, limit: int | None, rng: random.Random, val: float
) -> list[Piece]:
    if not WESNOTH_MUSIC.is_dir():
        log.warning(
            "wesnoth music not found at %s (apt-get install wesnoth-1.16-music): skipped",
            WESNOTH_MUSIC,
        )
        return []
    files = sorted(WESNOTH_MUSIC.glob("*.ogg"))[: limit or None]
    validation = _split_pieces([f.stem for f in files], val, rng)
    pieces = []
    for f in files:
        rel = f"audio/wesnoth/{f.stem}.flac"
        seconds = _write(out, rel, _crop(audio.load(f), max_seconds))
        split = "validation" if f.stem in validation else "train"
        labels = {"tag": "orchestral", "music": True}
        pieces.append(Piece(f"wesnoth/{f.stem}", "wesnoth", "GPL-2+", rel, seconds, split, labels))
    return pieces


def _soundfont() -> Path | None:
    return next((sf2 for sf2 in SOUNDFONTS if sf2.exists()), None)


def _render_chorale(score: Any, program: int, bpm: float, sf2: Path, workdir: Path) -> np.ndarray:
    """Render a music21 score with one GM program at a tempo: float32[T] at 22,050 Hz."""
    from music21 import instrument, tempo

    for part in score.parts:
        for old in part.recurse().getElementsByClass(instrument.Instrument):
            part.remove(old, recurse=True)
        for old in part.recurse().getElementsByClass(tempo.MetronomeMark):
            part.remove(old, recurse=True)
        inst = instrument.Instrument()
        inst.midiProgram = program
        part.insert(0, inst)
        part.insert(0, tempo.MetronomeMark(number=bpm))
    mid = workdir / "score.mid"
    wav = workdir / "score.wav"
    score.write("midi", fp=str(mid))
    subprocess.run(
        [
            "fluidsynth",
            "-ni",
            "-q",
            "-g",
            "0.6",
            "-r",
            str(audio.SAMPLE_RATE),
            "-F",
            str(wav),
            str(sf2),
            str(mid),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return audio.load(wav)


def _chorales(
    out: Path,
    max_seconds: float | None,
    limit: int | None,
    rng: random.Random,
    val: float,
    progress: Progress | None,
) -> list[Piece]:
    sf2 = _soundfont()
    if shutil.which("fluidsynth") is None or sf2 is None:
        log.warning(
            "fluidsynth or a GM SoundFont is missing (apt-get install fluidsynth "
            "fluid-soundfont-gm): chorales skipped"
        )
        return []
    try:
        from music21 import corpus as m21corpus
    except ImportError:
        log.warning("music21 is not installed (pip install music21): chorales skipped")
        return []
    paths = sorted(str(p) for p in m21corpus.getComposer("bach") if str(p).endswith(".mxl"))
    paths = [p for p in paths if "/bwv" in p][: limit or None]
    names = [Path(p).stem for p in paths]
    validation = _split_pieces(names, val, rng)
    families = sorted(GM_FAMILIES)
    pieces = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (p, name) in enumerate(zip(paths, names, strict=True)):
            family = families[i % len(families)]
            program = rng.choice(GM_FAMILIES[family])
            bpm = rng.uniform(60, 132)
            try:
                score = m21corpus.parse(p)
                samples = _render_chorale(score, program, bpm, sf2, Path(tmp))
            except Exception as exc:  # a score music21 cannot lay out: skip it, keep going
                log.warning("chorale %s not rendered: %s", name, exc)
                continue
            if audio.is_silent(samples):
                continue
            rel = f"audio/chorales/{name}.flac"
            seconds = _write(out, rel, _crop(samples, max_seconds))
            split = "validation" if name in validation else "train"
            labels = {"tag": family, "music": True, "gm_program": program, "bpm": round(bpm, 1)}
            pieces.append(
                Piece(
                    f"chorales/{name}",
                    "music21-bach-chorales",
                    "Public Domain",
                    rel,
                    seconds,
                    split,
                    labels,
                )
            )
            if progress:
                progress("rendering chorales", (i + 1) / len(paths))
    return pieces


def build(
    out_dir: str | Path,
    *,
    sources: tuple[str, ...] = ("shared", "wesnoth", "chorales"),
    limit: int | None = None,
    max_seconds: float | None = None,
    validation_fraction: float = 0.15,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[Piece]:
    """Build the corpus in out_dir and write its manifest; returns the pieces.

    ``limit`` caps the number of pieces per source and ``max_seconds`` the
    length of each piece, so a test can build a tiny corpus in seconds.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pieces: list[Piece] = []
    if "shared" in sources:
        pieces += _shared(out, max_seconds, limit)
    if progress:
        progress("shared recordings", 0.1)
    if "wesnoth" in sources:
        pieces += _wesnoth(out, max_seconds, limit, rng, validation_fraction)
    if progress:
        progress("wesnoth music", 0.4)
    if "chorales" in sources:
        pieces += _chorales(out, max_seconds, limit, rng, validation_fraction, progress)
    manifest = {
        "format_version": 1,
        "sample_rate": audio.SAMPLE_RATE,
        "seed": seed,
        "split": "by piece",
        "tags": list(TAGS),
        "pieces": [asdict(p) for p in pieces],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    log.info("corpus of %d pieces, %.0f s, in %s", len(pieces), sum(p.seconds for p in pieces), out)
    return pieces


def read(corpus_dir: str | Path) -> list[Piece]:
    """Read a corpus manifest: the pieces with paths made absolute."""
    root = Path(corpus_dir)
    data = json.loads((root / MANIFEST).read_text())
    pieces = []
    for p in data["pieces"]:
        p = dict(p)
        p["path"] = str((root / p["path"]).resolve())
        pieces.append(Piece(**p))
    return pieces
