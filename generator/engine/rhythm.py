"""Beats, bars and where a frame sits in them: the music network's sense of time.

Beat tracking runs on a log-mel already made (the onset envelope is its
positive spectral flux), so the training cache tracks each file once with no
second decode. Downbeats: music in this corpus is mostly in four; of the four
ways to group the beats in fours, the one whose first beats are loudest in
the low bands (where kicks and bass notes land) is taken.
That is a rough guess, so the network reads it as a hint, not a rule.

Frame features (``frame_features``): Tensor[5, frames] with the sine and
cosine of the beat phase, of the bar phase, and the position inside the piece
(0 at its start, 1 at its end). At generation time a grid comes from a tempo
(``grid``) or from a tracked clip extended past its end (``extend``).
No Django imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

BEATS_PER_BAR = 4


@dataclass(frozen=True)
class Grid:
    """Beat positions in frames (float, increasing) and which beat starts a bar."""

    beats: tuple[float, ...]
    downbeat: int = 0  # index into beats of a bar's first beat
    tempo: float = 120.0  # beats a minute
    strength: float = 0.0  # beat-tracking confidence, 0..1

    def to_dict(self) -> dict:
        return {
            "beats": [round(b, 2) for b in self.beats],
            "downbeat": self.downbeat,
            "tempo": round(self.tempo, 2),
            "strength": round(self.strength, 4),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Grid:
        return cls(
            tuple(float(b) for b in data["beats"]),
            int(data["downbeat"]),
            float(data["tempo"]),
            float(data.get("strength", 0.0)),
        )

    def scaled(self, factor: float) -> Grid:
        """The grid of the same music played ``factor`` times as long (time-stretched)."""
        return Grid(
            tuple(b * factor for b in self.beats), self.downbeat, self.tempo / factor, self.strength
        )


def onset_envelope(log_mel: torch.Tensor) -> np.ndarray:
    """Positive spectral flux of a log-mel Tensor[n_mels, frames] -> float32[frames]."""
    mel = torch.as_tensor(log_mel, dtype=torch.float32)
    flux = (mel[:, 1:] - mel[:, :-1]).clamp_min(0.0).mean(dim=0)
    env = torch.cat([torch.zeros(1), flux]).numpy()
    return (env - np.median(env)).clip(0.0, None).astype(np.float32)


def tempo_strength(env: np.ndarray, frame_rate: float) -> float:
    """How periodic the onsets are: peak autocorrelation at 40-200 BPM lags, 0..1."""
    env = env - env.mean()
    if env.size < 8 or not np.any(env):
        return 0.0
    n = 1 << int(math.ceil(math.log2(2 * env.size)))
    spectrum = np.fft.rfft(env, n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), n)[: env.size]
    ac = ac / max(ac[0], 1e-12)
    lo = max(1, int(frame_rate * 60 / 200))
    hi = min(ac.size - 1, int(frame_rate * 60 / 40))
    return float(max(0.0, ac[lo : hi + 1].max())) if hi > lo else 0.0


def track(log_mel: torch.Tensor, frame_rate: float) -> Grid:
    """Track beats and guess downbeats in a log-mel Tensor[n_mels, frames]."""
    import librosa

    env = onset_envelope(log_mel)
    frames = env.size
    tempo, beats = librosa.beat.beat_track(
        onset_envelope=env, sr=round(frame_rate * 512), hop_length=512, units="frames"
    )
    tempo = float(np.atleast_1d(tempo)[0]) if np.size(tempo) else 120.0
    beats = np.asarray(beats, dtype=np.float64)
    if beats.size < 2:
        return grid(tempo or 120.0, frames, frame_rate, strength=0.0)
    # Low-band level just after each beat: kicks and bass notes mark the one.
    low = torch.as_tensor(log_mel, dtype=torch.float32)[: max(1, log_mel.shape[0] // 8)]
    level = low.mean(dim=0).numpy()
    idx = beats.astype(int)
    after = np.stack([level[(idx + k).clip(0, frames - 1)] for k in range(3)]).max(axis=0)
    scores = [
        float(after[k::BEATS_PER_BAR].mean()) if after[k::BEATS_PER_BAR].size else -math.inf
        for k in range(BEATS_PER_BAR)
    ]
    return Grid(
        tuple(beats.tolist()), int(np.argmax(scores)), tempo, tempo_strength(env, frame_rate)
    )


def grid(
    tempo: float, frames: int, frame_rate: float, offset: float = 0.0, strength: float = 1.0
) -> Grid:
    """A steady grid at ``tempo`` BPM over ``frames`` frames, first beat (a downbeat) at offset."""
    period = frame_rate * 60.0 / max(float(tempo), 1.0)
    count = int(math.ceil((frames - offset) / period)) + 1
    return Grid(tuple(offset + period * i for i in range(max(count, 2))), 0, float(tempo), strength)


def _beat_position(g: Grid, frames: np.ndarray) -> np.ndarray:
    """Beat count at each frame (fractional), extrapolated at the tempo beyond the tracked beats."""
    beats = np.asarray(g.beats, dtype=np.float64)
    period = float(np.median(np.diff(beats))) if beats.size > 1 else 43.0
    index = np.arange(beats.size, dtype=np.float64)
    pos = np.interp(frames, beats, index)
    before, after = frames < beats[0], frames > beats[-1]
    pos[before] = (frames[before] - beats[0]) / period
    pos[after] = index[-1] + (frames[after] - beats[-1]) / period
    return pos


def frame_features(
    g: Grid, start: int, width: int, total: int, stretch: float = 1.0, offset: int = 0
) -> torch.Tensor:
    """Conditioning channels for frames start..start+width of a total-frame piece: Tensor[5, W].

    ``stretch`` resamples the frame axis (a crop ``width * stretch`` frames long
    shown in ``width`` frames); ``offset`` says how many frames of the piece
    come before the grid's frame 0 (for the position channel).
    """
    frames = start + np.arange(width, dtype=np.float64) * stretch
    beat = _beat_position(g, frames)
    bar = (beat - g.downbeat) / BEATS_PER_BAR
    position = (frames + offset) / max(total - 1, 1)
    two_pi = 2 * math.pi
    out = np.stack(
        [
            np.sin(two_pi * beat),
            np.cos(two_pi * beat),
            np.sin(two_pi * bar),
            np.cos(two_pi * bar),
            position.clip(0.0, 1.0),
        ]
    )
    return torch.from_numpy(out.astype(np.float32))


def extend(g: Grid, frames: int, frame_rate: float) -> Grid:
    """The grid continued past its last beat at its median period up to ``frames``."""
    beats = list(g.beats)
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else frame_rate * 60 / g.tempo
    while beats[-1] + period < frames + period:
        beats.append(beats[-1] + period)
    return Grid(tuple(beats), g.downbeat, g.tempo, g.strength)
