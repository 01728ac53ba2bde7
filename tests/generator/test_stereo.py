"""Stereo in, stereo out: the modes work on the mid and keep their source's image."""

from __future__ import annotations

import numpy as np
import pytest

from generator.engine import audio, modes, stereo
from generator.engine.errors import InvalidInput
from tests.generator.engine_helpers import SR, brahms, bright_stereo
from tests.generator.trained_helpers import tiny_unet


@pytest.fixture(scope="module")
def unet(tmp_path_factory):
    return tiny_unet(tmp_path_factory.mktemp("unet"))


@pytest.fixture(scope="module")
def wide():
    return bright_stereo(4.0)


def _run(name: str, clips, unet, seconds: float = 3.0, strength: float = 0.5) -> np.ndarray:
    params = modes.Params(seconds=seconds, seed=3, strength=strength, steps=3)
    return modes.generate(name, clips, params, model=unet)


def _width_db(out: np.ndarray) -> float:
    """Level of L - R against the level of the whole, in dB (-inf for identical channels)."""
    return audio.rms_db(out[0] - out[1]) - audio.rms_db(out)


def _clips(name: str, wide: np.ndarray, other: np.ndarray) -> list[np.ndarray]:
    return {
        "remix": [wide],
        "continue": [wide[:, : 2 * SR]],
        "interpolate": [wide, other],
        "variation": [wide],
        "style": [wide, other],
    }[name]


@pytest.mark.parametrize("name", ["remix", "continue", "interpolate", "variation", "style"])
def test_it_keeps_a_stereo_source_stereo(name, unet, wide):
    out = _run(name, _clips(name, wide, brahms(4.0)), unet)
    assert out.shape == (2, 3 * SR) and out.dtype == np.float32
    source_width = _width_db(wide)
    assert _width_db(out) > -20.0  # left and right differ measurably
    assert _width_db(out) < source_width + 6.0  # and no wider than the source, give or take
    # Levelled like mono output: at the target, or below it where the peaks reach full scale.
    assert audio.TARGET_RMS_DB - 6.0 < audio.rms_db(out) < audio.TARGET_RMS_DB + 0.1
    assert float(np.abs(out).max()) <= 0.99 + 1e-6


@pytest.mark.parametrize("name", ["remix", "continue", "interpolate", "variation"])
def test_it_folds_down_to_what_the_network_made_from_the_mid(name, unet, wide):
    """Mono compatibility: (L + R) / 2 of the stereo result is the mono result of the mid."""
    clips = _clips(name, wide, brahms(4.0))
    mids = [audio.to_mono(c) for c in clips]
    both, mono = _run(name, clips, unet), _run(name, mids, unet)
    assert mono.ndim == 1  # a mono source stays mono
    fold = both.mean(axis=0)
    scale = float(np.dot(fold, mono) / np.dot(mono, mono))
    np.testing.assert_allclose(fold, scale * mono, atol=1e-4)
    # No frequency cancels in the fold-down: it keeps at least half the channels' power.
    assert audio.rms_db(fold) > audio.rms_db(both) - 3.0 - 1e-3


def test_it_follows_the_source_pan_in_time(unet):
    """Remix at low strength: where the source leans left, the output leans left too."""
    t = np.arange(4 * SR) / SR
    tone = np.sin(2 * np.pi * 440 * t) * 0.3
    pan = (t % 2.0 < 1.0).astype(np.float32)  # left for a second, then right
    source = np.stack([tone * (0.2 + 0.8 * pan), tone * (1.0 - 0.8 * pan)]).astype(np.float32)
    out = _run("remix", [source], unet, seconds=4.0, strength=0.2)
    for start, leans_left in ((0.25, True), (1.25, False), (2.25, True), (3.25, False)):
        span = slice(int(start * SR), int((start + 0.5) * SR))
        left, right = audio.rms_db(out[0, span]), audio.rms_db(out[1, span])
        assert (left > right + 6.0) if leans_left else (right > left + 6.0)


def test_it_keeps_dream_mono_and_dual_mono_mono(unet, wide):
    assert _run("dream", [], unet).ndim == 1
    dual = np.stack([wide[0], wide[0]])
    assert audio.to_stereo(dual).ndim == 1  # identical channels carry no image
    assert stereo.restore("remix", [wide[0]], wide[0, : 3 * SR]).ndim == 1


def test_it_caps_the_side_so_no_bin_outweighs_the_mid(wide):
    gain = stereo.width_map(wide)
    assert gain.shape == (1 + wide.shape[-1] // audio.HOP, audio.DEFAULT.n_bins)
    assert float(gain.abs().max()) <= stereo.MAX_GAIN + 1e-6
    assert float(stereo.width_map(wide[0]).abs().max()) == 0.0  # mono: no side at all


def test_it_rejects_clips_with_other_channel_layouts(wide):
    three = np.concatenate([wide, wide[:1]])  # channels must be folded to two before the engine
    with pytest.raises(InvalidInput, match="neither mono nor stereo"):
        modes.generate("variation", [three], modes.Params(seconds=2.0, seed=0))
    with pytest.raises(InvalidInput, match="neither mono nor stereo"):
        modes.generate("variation", [wide.T.copy()], modes.Params(seconds=2.0, seed=0))


@pytest.mark.parametrize("name", ["remix", "continue", "interpolate", "variation"])
def test_it_works_in_blocks_without_seams(name, wide, monkeypatch):
    """Long outputs are widened block by block; where the blocks fall changes nothing."""
    clips = _clips(name, wide, brahms(4.0))
    mid = audio.to_mono(bright_stereo(3.0, seed=5))
    whole = stereo.restore(name, clips, mid, 0.5)
    monkeypatch.setattr(stereo, "BLOCK", 43 * audio.HOP)  # half a second
    blocks = stereo.restore(name, clips, mid, 0.5)
    np.testing.assert_allclose(blocks, whole, atol=1e-4)
