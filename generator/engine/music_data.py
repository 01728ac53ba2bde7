"""Training data for the music network: a corpus read once into a float16 mel cache.

Thirty hours of Vorbis take about twenty minutes to decode on one core, far
longer than a training epoch may take, so each file is decoded once and its
log-mel stored as float16 ``.npy`` (read back memory-mapped: the page cache,
not the process, holds the corpus) with its beat grid beside it in JSON. A
cache entry's name hashes the file's path, size and modification time, the
transposition and the audio parameters, so a changed file or front end is
never served stale, and a half-written entry is never seen (written to a
temporary name, then renamed).

Augmentation that stays musical: transposition by resampling the audio (tape
speed: pitch and tempo move together, partials stay harmonic), done when the
cache is filled, and a gain change (an additive constant in log power) per
crop. Mel bins are never rolled.

Pieces come from corpus manifests (``manifest.jsonl`` rows of build_corpus,
or the first release's ``manifest.json``), folders or files; a piece's style is
its manifest style label (``STYLES``), or none. No Django imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from generator.engine import audio, rhythm
from generator.engine.corpus import STYLES  # the corpus's style labels, per source

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".oga", ".opus"}
SHIFTS = (-3, -2, -1, 1, 2, 3)  # semitones a transposed copy may move


class DataError(ValueError):
    """Training data that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Entry:
    """One piece of music to learn from."""

    path: str
    piece: str
    style: str  # one of STYLES, or "" when unknown
    split: str
    licence: str = ""


def _manifest_rows(root: Path) -> list[dict]:
    jsonl = root / "manifest.jsonl"
    if jsonl.exists():
        rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    else:
        rows = json.loads((root / "manifest.json").read_text())["pieces"]
    return rows


def entries(data: Sequence[str | Path], split: str = "train") -> list[Entry]:
    """The music pieces of ``split`` in corpus directories, folders and files.

    Folders and files count as training data only; a corpus directory's rows
    give their own split, and rows that are not music or not usable (status
    other than ok) are left out.
    """
    found: list[Entry] = []
    for item in data:
        path = Path(item)
        if path.is_dir() and any((path / m).exists() for m in ("manifest.jsonl", "manifest.json")):
            for row in _manifest_rows(path):
                labels = row.get("labels", {})
                style = row.get("style") or labels.get("style", "")
                if row.get("status", "ok") != "ok" or row.get("split") != split:
                    continue
                if not labels.get("music", style != "not_music"):
                    continue
                file = Path(row["path"])
                file = file if file.is_absolute() else path / file
                found.append(
                    Entry(str(file), row["piece"], style, split, str(row.get("licence", "")))
                )
        elif path.is_dir():
            if split == "train":
                files = sorted(f for f in path.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES)
                found += [Entry(str(f), f.name, "", split) for f in files]
        elif path.is_file():
            if split == "train":
                found.append(Entry(str(path), path.name, "", split))
        else:
            raise DataError(f"Training data {path} does not exist.")
    return found


def transpositions(path: str, count: int) -> list[int]:
    """Semitone shifts cached for a file: 0 and ``count`` others chosen by its name's hash."""
    digest = int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(digest)
    order = list(rng.permutation(SHIFTS))
    return [0] + [int(s) for s in order[: max(0, count)]]


class MelCache:
    """Log-mel float16[n_mels, frames] and beat grid per (file, transposition), on disk."""

    def __init__(self, root: str | Path, params: audio.AudioParams = audio.DEFAULT) -> None:
        self.root = Path(root)
        self.params = params

    def key(self, path: str, semitones: int) -> str:
        st = os.stat(path)
        text = json.dumps(
            [
                str(Path(path).resolve()),
                st.st_size,
                int(st.st_mtime),
                semitones,
                self.params.to_dict(),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _files(self, key: str) -> tuple[Path, Path]:
        return self.root / key[:2] / f"{key}.npy", self.root / key[:2] / f"{key}.json"

    def get(self, path: str, semitones: int = 0) -> tuple[np.ndarray, rhythm.Grid] | None:
        """The cached mel (memory-mapped) and grid, or None when not cached yet."""
        mel_file, meta_file = self._files(self.key(path, semitones))
        if not meta_file.exists():
            return None
        meta = json.loads(meta_file.read_text())
        if meta.get("skip"):
            return None
        return np.load(mel_file, mmap_mode="r"), rhythm.Grid.from_dict(meta["grid"])

    def has(self, path: str, semitones: int = 0) -> bool:
        return self._files(self.key(path, semitones))[1].exists()

    def build(self, path: str, semitones: int = 0) -> None:
        """Decode, transpose, analyse and store one entry (a silent or broken file is marked)."""
        mel_file, meta_file = self._files(self.key(path, semitones))
        mel_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            samples = audio.load(path)
        except audio.AudioError as exc:
            log.warning("leaving out %s: %s", path, exc)
            _write_json(meta_file, {"skip": str(exc)})
            return
        if audio.is_silent(samples):
            _write_json(meta_file, {"skip": "silent"})
            return
        sr = self.params.sample_rate
        if semitones:
            # Played 2^(s/12) times faster: up s semitones and that much quicker.
            samples = audio.resample(samples, round(sr * 2 ** (semitones / 12)), sr)
        mel = audio.log_mel(audio.resample(samples, audio.SAMPLE_RATE, sr), self.params)
        grid = rhythm.track(mel, self.params.frame_rate)
        tmp = mel_file.with_suffix(".tmp.npy")
        np.save(tmp, mel.numpy().astype(np.float16))
        tmp.replace(mel_file)
        _write_json(meta_file, {"grid": grid.to_dict(), "frames": int(mel.shape[-1])})

    def fill(
        self,
        items: Sequence[Entry],
        count: int,
        progress: Callable[[str, float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """Build every missing entry (originals first, then transposed copies); returns built."""
        todo = [(e.path, 0) for e in items]
        todo += [(e.path, s) for e in items for s in transpositions(e.path, count)[1:]]
        built = 0
        for i, (path, semitones) in enumerate(todo):
            if cancelled is not None and cancelled():
                break
            if not self.has(path, semitones):
                self.build(path, semitones)
                built += 1
            if progress is not None:
                progress(f"analysing {Path(path).name}", (i + 1) / len(todo))
        return built


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


@dataclass
class Track:
    """One cached version of a piece: mel float16[n_mels, frames], its grid and style."""

    mel: np.ndarray
    grid: rhythm.Grid
    style: int  # index into STYLES, -1 when unknown
    piece: str


class MusicData:
    """The cached pieces, and random crops of them with their conditioning."""

    def __init__(self, tracks: list[Track], styles: Sequence[str] = STYLES) -> None:
        self.tracks = tracks
        self.styles = tuple(styles)

    @classmethod
    def from_cache(
        cls, items: Sequence[Entry], cache: MelCache, count: int, styles: Sequence[str] = STYLES
    ) -> MusicData:
        """Every cached version of the entries (pieces not cached yet are left out)."""
        tracks = []
        for e in items:
            for s in transpositions(e.path, count):
                got = cache.get(e.path, s)
                if got is not None:
                    style = styles.index(e.style) if e.style in styles else -1
                    tracks.append(Track(got[0], got[1], style, e.piece))
        return cls(tracks, styles)

    @property
    def seconds(self) -> float:
        return sum(t.mel.shape[-1] for t in self.tracks) * 512 / audio.SAMPLE_RATE

    def stats(self, limit: int = 64) -> tuple[float, float]:
        """Mean and standard deviation of the log-mel values of up to ``limit`` tracks."""
        sample = [np.asarray(t.mel[:, ::4], dtype=np.float64) for t in self.tracks[:limit]]
        values = np.concatenate([s.reshape(-1) for s in sample])
        return round(float(values.mean()), 4), round(float(values.std()), 4)

    def sample(
        self, batch: int, width: int, gen: torch.Generator, gain_db: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random crops: (log-mel Tensor[B, 1, M, W], frames Tensor[B, 5, W], style Tensor[B]).

        Pieces are drawn in proportion to the square root of their length, so
        long tracks dominate less; a piece shorter than ``width`` is looped.
        """
        if not self.tracks:
            raise DataError("No analysed music to train on.")
        weights = torch.tensor([math.sqrt(t.mel.shape[-1]) for t in self.tracks])
        idx = torch.multinomial(weights, batch, replacement=True, generator=gen).tolist()
        mels, frames = [], []
        for i in idx:
            track = self.tracks[i]
            total = track.mel.shape[-1]
            start = int(torch.randint(0, max(1, total - width + 1), (), generator=gen))
            cols = (start + np.arange(width)) % total
            crop = torch.from_numpy(np.asarray(track.mel[:, cols], dtype=np.float32))
            if gain_db:
                gain = (float(torch.rand((), generator=gen)) * 2 - 1) * gain_db
                crop = (crop + gain * math.log(10) / 10).clamp_min(math.log(audio.LOG_FLOOR))
            mels.append(crop)
            frames.append(rhythm.frame_features(track.grid, start, width, total))
        styles = torch.tensor([self.tracks[i].style for i in idx])
        return torch.stack(mels)[:, None], torch.stack(frames), styles
