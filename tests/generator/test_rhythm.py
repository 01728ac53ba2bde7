"""Beat tracking, bar guesses and the frame channels that tell the music network the time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generator.engine import audio, rhythm

SR = audio.SAMPLE_RATE
RATE = audio.DEFAULT.frame_rate


def click_track(bpm: float, seconds: float = 12.0, accent_every: int = 4) -> np.ndarray:
    """Clicks at ``bpm``; every ``accent_every``-th one louder and lower (a kick on the one)."""
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    t = np.arange(int(0.06 * SR)) / SR
    period = 60.0 / bpm
    for i in range(int(seconds / period)):
        start = int(i * period * SR)
        if i % accent_every == 0:
            click = np.sin(2 * np.pi * 60 * t) * np.exp(-t * 40)
        else:
            click = 0.4 * np.sin(2 * np.pi * 2000 * t) * np.exp(-t * 80)
        out[start : start + len(t)] += click[: len(out) - start].astype(np.float32)
    return out


def test_it_tracks_the_tempo_of_a_click_track():
    grid = rhythm.track(audio.log_mel(click_track(120.0)), RATE)
    assert grid.tempo == pytest.approx(120.0, rel=0.04)
    assert grid.strength > 0.3
    period = np.median(np.diff(grid.beats))
    assert period == pytest.approx(RATE * 0.5, rel=0.04)


def test_it_puts_the_downbeat_on_the_accented_click():
    grid = rhythm.track(audio.log_mel(click_track(100.0)), RATE)
    first = grid.beats[grid.downbeat]
    # A bar is 2.4 s at 100 BPM; the accents are at multiples of it.
    bar_frames = 2.4 * RATE
    assert min(first % bar_frames, bar_frames - first % bar_frames) < 0.1 * RATE


def test_it_scores_noise_as_less_rhythmic_than_clicks():
    noise = np.random.default_rng(0).normal(0, 0.1, 12 * SR).astype(np.float32)
    clicks = rhythm.tempo_strength(rhythm.onset_envelope(audio.log_mel(click_track(120.0))), RATE)
    hiss = rhythm.tempo_strength(rhythm.onset_envelope(audio.log_mel(noise)), RATE)
    assert clicks > hiss + 0.2


def test_it_gives_phase_channels_that_turn_once_a_beat_and_once_a_bar():
    grid = rhythm.grid(120.0, 1000, RATE)
    feats = rhythm.frame_features(grid, 0, 1000, 1000).numpy()
    assert feats.shape == (5, 1000)
    beat = np.unwrap(np.arctan2(feats[0], feats[1]))
    bar = np.unwrap(np.arctan2(feats[2], feats[3]))
    seconds = 999 / RATE
    assert (beat[-1] - beat[0]) / (2 * math.pi) == pytest.approx(seconds * 2, rel=0.01)
    assert (bar[-1] - bar[0]) / (2 * math.pi) == pytest.approx(seconds / 2, rel=0.01)
    assert feats[4, 0] == 0.0 and feats[4, -1] == pytest.approx(1.0)


def test_it_continues_a_grid_past_its_end_at_its_period():
    grid = rhythm.grid(90.0, 200, RATE)
    longer = rhythm.extend(grid, 2000, RATE)
    assert longer.beats[-1] >= 2000
    assert np.allclose(np.diff(longer.beats), RATE * 60 / 90, rtol=1e-6)
    # The same frame has the same phase in both grids.
    a = rhythm.frame_features(grid, 0, 150, 2000)
    b = rhythm.frame_features(longer, 0, 150, 2000)
    assert np.allclose(a.numpy(), b.numpy(), atol=1e-5)


def test_it_round_trips_a_grid_through_json():
    grid = rhythm.Grid((1.0, 44.5, 88.25), 1, 118.0, 0.5)
    assert rhythm.Grid.from_dict(grid.to_dict()) == grid
