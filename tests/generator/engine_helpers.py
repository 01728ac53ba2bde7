"""Real audio and signal checks shared by the engine tests (issue 3)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from generator.engine import audio
from tests.conftest import real_recording

SR = audio.SAMPLE_RATE


@lru_cache(maxsize=8)
def _excerpt(name: str, start: float, seconds: float) -> np.ndarray:
    samples = audio.load(real_recording(name))
    return samples[int(start * SR) : int((start + seconds) * SR)].copy()


def excerpt(name: str, start: float = 0.0, seconds: float = 4.0) -> np.ndarray:
    """A prepared excerpt (float32[T] at SAMPLE_RATE) of one of the committed real recordings."""
    return _excerpt(name, start, seconds).copy()


def brahms(seconds: float = 4.0) -> np.ndarray:
    return excerpt("brahms_hungarian_dance_5.ogg", 8.0, seconds)


def jazz(seconds: float = 4.0) -> np.ndarray:
    return excerpt("macleod_vibe_ace.ogg", 10.0, seconds)


def speech(seconds: float = 4.0) -> np.ndarray:
    return excerpt("librispeech_198-209-0000.ogg", 1.0, seconds)


def spectral_flatness(samples: np.ndarray) -> float:
    """Mean over frames of geometric / arithmetic mean of the power spectrum (noise: ~0.56)."""
    power = audio.stft(torch.from_numpy(samples)).abs().square().numpy() + 1e-12
    return float(np.mean(np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)))


def long_term_mel(samples: np.ndarray) -> np.ndarray:
    """The clip's average log-mel spectrum, float[N_MELS], level removed."""
    spectrum = audio.log_mel(samples).mean(dim=-1).numpy()
    return spectrum - spectrum.mean()


def mel_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(long_term_mel(a) - long_term_mel(b)))))


def max_xcorr(a: np.ndarray, b: np.ndarray) -> float:
    """Largest normalised cross-correlation of ``a`` against every shift of ``b``."""
    n = len(a) + len(b)
    size = 1 << (n - 1).bit_length()
    spec = np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size))
    corr = np.fft.irfft(spec, size)
    return float(np.max(np.abs(corr)) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def spectrogram_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long clips' log-mel spectrograms, frame for frame."""
    x, y = audio.log_mel(a).flatten().numpy(), audio.log_mel(b).flatten().numpy()
    return float(np.corrcoef(x, y)[0, 1])


def bright_stereo(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """A full-band stereo clip, float32[2, T] at SAMPLE_RATE: a different chord each side.

    Left: a plucked A minor arpeggio; right: a plucked E major one an octave up
    with bright partials; hiss on both (independent), so there is real energy
    up to 20 kHz and the two channels differ in both content and level.
    """
    rng = np.random.default_rng(seed)
    length = int(seconds * SR)
    note = int(0.25 * SR)
    t = np.arange(note) / SR
    out = np.zeros((2, length), dtype=np.float64)
    chords = ((220.0, 261.6, 329.6), (659.3, 830.6, 987.8))
    for side, chord in enumerate(chords):
        for n, start in enumerate(range(0, length - note, note)):
            f = chord[n % 3]
            partials = sum(
                np.sin(2 * np.pi * f * k * t) / k for k in range(1, 12) if f * k < 20_000
            )
            out[side, start : start + note] += partials * np.exp(-8 * t)
        out[side] += 0.02 * rng.standard_normal(length)
    return audio.loudness_normalise(out.astype(np.float32))


def band_energy(samples: np.ndarray, low: float, high: float = np.inf) -> float:
    """Energy of float32[T] (or the sum over channels of [C, T]) between low and high Hz."""
    spectrum = np.abs(np.fft.rfft(np.atleast_2d(samples), axis=-1)) ** 2
    freqs = np.fft.rfftfreq(samples.shape[-1], 1 / SR)
    return float(spectrum[..., (freqs >= low) & (freqs < high)].sum())
