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
    """A prepared excerpt (float32[T] at 22,050 Hz) of one of the committed real recordings."""
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
