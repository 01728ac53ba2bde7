"""Look at corpus files: probe, decode at 44.1 kHz stereo, and fingerprint for duplicates.

The corpus keeps Debian's files as shipped and writes its own renders as
44.1 kHz FLAC, so it needs a decode that keeps stereo and the full band; the
app's front end (generator.engine.audio) is the one training uses.

A fingerprint is a coarse log-energy envelope (24 bands from 60 Hz to 4 kHz,
four frames a second) of the whole file mixed to mono at 8 kHz. Two files
whose envelopes (less each frame's mean) correlate above ``SAME_AUDIO`` at
some lag of up to two seconds are the same recording, whatever codec, bitrate
or rate each was encoded with; on the Debian corpus different pieces stay
below 0.65, and those are remakes of one tune. No Django imports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SAMPLE_RATE = 44_100
FP_RATE = 8_000
FP_FRAME = 2_048  # 0.256 s at 8 kHz, no overlap
FP_BANDS = 24
FP_MAX_LAG = 8  # frames: about 2 s of offset between two encodings
SAME_AUDIO = 0.9
_BLOCK = 1 << 20


class CorruptAudio(ValueError):
    """A file that claims to be audio but does not decode to the end."""


@dataclass(frozen=True)
class Probe:
    """What a file holds, read by decoding all of it."""

    seconds: float
    sample_rate: int
    channels: int
    format: str
    sha256: str
    fingerprint: np.ndarray  # float16[frames, FP_BANDS]


def sha256_of(path: Path) -> str:
    """The content hash of a file's bytes (exact duplicates share it)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@lru_cache(maxsize=1)
def _band_matrix() -> np.ndarray:
    """Sum FFT bins into log-spaced bands: float32[FP_BANDS, FP_FRAME // 2 + 1]."""
    freqs = np.fft.rfftfreq(FP_FRAME, 1 / FP_RATE)
    edges = np.geomspace(60.0, 4_000.0, FP_BANDS + 1)
    return np.stack(
        [
            ((freqs >= lo) & (freqs < hi)).astype(np.float32)
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
    )


def _envelope(mono_8k: np.ndarray) -> np.ndarray:
    frames = len(mono_8k) // FP_FRAME
    if frames == 0:
        return np.zeros((0, FP_BANDS), np.float16)
    window = np.hanning(FP_FRAME).astype(np.float32)
    blocks = mono_8k[: frames * FP_FRAME].reshape(frames, FP_FRAME) * window
    power = np.abs(np.fft.rfft(blocks, axis=1)) ** 2
    return np.log10(power @ _band_matrix().T + 1e-6).astype(np.float16)


def probe(path: str | Path) -> Probe:
    """Decode a whole file once: duration, rate, channels, hashes. Raises CorruptAudio."""
    path = Path(path)
    try:
        info = sf.info(str(path))
        resampler = soxr.ResampleStream(info.samplerate, FP_RATE, 1, dtype="float32")
        pieces, frames = [], 0
        for block in sf.blocks(str(path), blocksize=_BLOCK, dtype="float32", always_2d=True):
            frames += len(block)
            pieces.append(resampler.resample_chunk(block.mean(axis=1)))
        pieces.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise CorruptAudio(f"{path.name}: {exc}") from exc
    if frames == 0:
        raise CorruptAudio(f"{path.name}: no audio frames")
    return Probe(
        seconds=round(frames / info.samplerate, 3),
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        format=f"{info.format}/{info.subtype}",
        sha256=sha256_of(path),
        fingerprint=_envelope(np.concatenate(pieces)),
    )


def similarity(a: np.ndarray, b: np.ndarray, max_lag: int = FP_MAX_LAG) -> float:
    """Best correlation of two fingerprints over small lags: 1.0 is the same recording.

    Each frame's mean over the bands is removed first, so what is compared is
    how the spectrum's shape moves, not how loud the piece is: the loudness
    curves of unrelated pieces (fade in, loud middle, fade out) correlate.
    """
    a = a.astype(np.float32) - a.astype(np.float32).mean(axis=1, keepdims=True)
    b = b.astype(np.float32) - b.astype(np.float32).mean(axis=1, keepdims=True)
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x = a[max(lag, 0) :]
        y = b[max(-lag, 0) :]
        n = min(len(x), len(y))
        if n < 8:
            continue
        x, y = x[:n] - x[:n].mean(axis=0), y[:n] - y[:n].mean(axis=0)
        denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
        if denom > 0:
            best = max(best, float((x * y).sum()) / denom)
    return best


def decode_stereo(path: str | Path) -> np.ndarray:
    """Decode a file at 44.1 kHz keeping up to two channels: float32[T, C] (C = 1 or 2)."""
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    samples = samples[:, :2]
    if rate != SAMPLE_RATE:
        samples = soxr.resample(samples, rate, SAMPLE_RATE)
    return np.ascontiguousarray(samples, dtype=np.float32)


def write_flac(target: Path, samples: np.ndarray) -> float:
    """Write float32[T, C] as 16-bit FLAC at 44.1 kHz via a temporary name; returns seconds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    peak = float(np.abs(samples).max(initial=0.0))
    if peak > 0.99:
        samples = samples * (0.99 / peak)
    sf.write(str(tmp), samples, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    tmp.replace(target)
    return len(samples) / SAMPLE_RATE
