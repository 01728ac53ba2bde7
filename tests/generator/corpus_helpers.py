"""Fake Debian music packages for the corpus tests: a copyright file and tiny recordings."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from generator.engine import corpus, corpus_debian
from generator.engine.corpus_debian import Package

RATE = 16_000
SECONDS = 21.0  # just over corpus.MIN_SECONDS

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Fake Game

Files: *
Copyright: 2020 Someone
License: GPL-2+

Files: data/music/calm*
Copyright: 2020 Alice Composer
License: CC-BY-3.0

Files: ./data/music/battle.ogg
Copyright: 2020 Bob Composer
License: GPL-3 or CC-BY-SA-3.0

Files: data/music/fields.ogg
Copyright: 2020 Charlie Composer
License: public-domain

License: GPL-2+
 Text.

License: CC-BY-3.0
 Text.
"""

FAKE = Package(
    "fake-music",
    ("usr/share/games/fake/music/*",),
    "orchestral",
    archives=("usr/share/games/fake/music.pk3",),
    styles=(("*/battle*", "rock_pop"),),
    why="a test package",
)
TABLE = {FAKE.name: FAKE, "fake-missing": Package("fake-missing", ("x/*",), "ambient")}


def tune(seed: int, seconds: float = SECONDS, rate: int = RATE) -> np.ndarray:
    """A melody of random sine notes: float32[T, 2]; each seed is a different piece."""
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    while t < seconds:
        length = float(rng.uniform(0.15, 0.6))
        n = int(length * rate)
        f = 220 * 2 ** (rng.integers(0, 24) / 12)
        env = np.minimum(1, np.linspace(0, 8, n)) * np.exp(-np.linspace(0, 3, n))
        out.append(0.3 * env * np.sin(2 * np.pi * f * np.arange(n) / rate))
        t += length
    mono = np.concatenate(out)[: int(seconds * rate)].astype(np.float32)
    return np.stack([mono, 0.8 * mono], axis=1)


def write(path: Path, samples: np.ndarray, rate: int = RATE, fmt: str = "OGG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = {"OGG": "VORBIS", "FLAC": "PCM_16", "WAV": "PCM_16"}[fmt]
    sf.write(str(path), samples, rate, format=fmt, subtype=subtype)
    return path


def fake_package(out: Path, *, corrupt: bool = False) -> Path:
    """Lay out fake-music as the fetcher leaves a package under out/packages."""
    root = out / corpus.PACKAGE_DIR / FAKE.name
    doc = root / "usr/share/doc/fake-music/copyright"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(COPYRIGHT)
    music = root / "usr/share/games/fake/music"
    write(music / "calm.ogg", tune(1))
    write(music / "battle.ogg", tune(2))
    write(music / "battle_fast.ogg", tune(3))
    write(music / "fields.ogg", tune(4))
    write(music / "gpl_theme.ogg", tune(5))
    write(music / "jingle.ogg", tune(6, seconds=3.0))
    (music / "battle.ogg.tags").write_text("not audio\n")
    # The same bytes twice, and the same piece re-encoded at another rate.
    (music / "copy").mkdir()
    (music / "copy" / "calm_again.ogg").write_bytes((music / "calm.ogg").read_bytes())
    write(music / "fields_hq.flac", tune(4, rate=44_100), rate=44_100, fmt="FLAC")
    # A game archive whose member the game sees as music/cave.ogg.
    archive = root / "usr/share/games/fake/music.pk3"
    archive.mkdir(parents=True)
    write(archive / "music" / "cave.ogg", tune(7))
    if corrupt:
        (music / "broken.ogg").write_bytes(b"OggS" + bytes(range(256)) * 40)
    (root / corpus_debian.FETCHED).write_text(json.dumps({"version": "1.0-1"}) + "\n")
    return root


def zip_member(zip_path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr(member, data)
