"""The training-free modes (variation, style) and the contract every mode goes through."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from generator.engine import audio, modes, texture
from generator.engine.errors import Cancelled, EngineError, InvalidInput, UnknownMode
from tests.generator.engine_helpers import (
    SR,
    band_energy,
    brahms,
    bright_stereo,
    jazz,
    max_xcorr,
    mel_distance,
    spectral_flatness,
    spectrogram_correlation,
    speech,
)

FAST = 15  # optimiser steps: enough to pass every quality check here, and quick


def variation(clip: np.ndarray, seconds: float = 3.0, seed: int = 1, **kwargs) -> np.ndarray:
    params = modes.Params(seconds=seconds, seed=seed, steps=kwargs.pop("steps", FAST))
    return modes.generate("variation", [clip], params, **kwargs)


def style(a, b, strength: float, seconds: float = 3.0, seed: int = 1) -> np.ndarray:
    params = modes.Params(seconds=seconds, seed=seed, strength=strength, steps=FAST)
    return modes.generate("style", [a, b], params)


@pytest.fixture(scope="module")
def brahms_variation() -> tuple[np.ndarray, np.ndarray]:
    clip = brahms(6.0)
    return clip, variation(clip)


def test_it_takes_every_modes_words_and_limits_from_the_catalog():
    from generator.engine.catalog import MODE_INFO

    assert set(modes.MODES) == set(MODE_INFO)
    for name, mode in modes.MODES.items():
        assert mode.info is MODE_INFO[name]
        assert mode.needs_model == (MODE_INFO[name].arch != "texture")


def test_it_registers_the_training_free_modes():
    for name, clips in (("variation", 1), ("style", 2)):
        mode = modes.MODES[name]
        assert (mode.name, mode.clips, mode.needs_model) == (name, clips, False)
        assert mode.max_seconds == 300.0
        assert mode.label and mode.help


def test_it_registers_new_modes(monkeypatch):
    from generator.engine.catalog import MODE_INFO, ModeInfo

    def run(clips, params, *, model=None, progress, cancelled):
        return np.full(round(params.seconds * SR), 0.1, dtype=np.float32)

    info = ModeInfo("test-constant", "Constant", "A test mode.", 0, "texture", 5.0)
    monkeypatch.setitem(MODE_INFO, "test-constant", info)
    mode = modes.Mode("test-constant", needs_model=False, run=run)
    assert (mode.label, mode.clips, mode.max_seconds) == ("Constant", 0, 5.0)
    try:
        assert modes.register(mode) is mode
        out = modes.generate("test-constant", [], modes.Params(seconds=1.5, seed=0))
        assert out.dtype == np.float32 and out.shape == (round(1.5 * SR),)
        assert audio.rms_db(out) == pytest.approx(audio.TARGET_RMS_DB, abs=0.1)
    finally:
        modes.MODES.pop("test-constant", None)


def test_it_makes_a_variation_of_the_right_length(brahms_variation):
    _, out = brahms_variation
    assert out.dtype == np.float32
    assert out.shape == (3 * SR,)
    assert audio.rms_db(out) == pytest.approx(audio.TARGET_RMS_DB, abs=0.5)
    assert variation(brahms(), seconds=1.37, steps=2).shape == (round(1.37 * SR),)


def test_it_is_bit_identical_with_the_same_seed_and_differs_with_another(brahms_variation):
    clip, out = brahms_variation
    assert np.array_equal(variation(clip), out)
    assert not np.allclose(variation(clip, seed=2), out)


def test_it_makes_music_not_silence_noise_or_a_copy(brahms_variation):
    clip, out = brahms_variation
    assert not audio.is_silent(out)
    noise = np.random.default_rng(0).standard_normal(len(out)).astype(np.float32) * 0.1
    assert spectral_flatness(out) < 0.25 * spectral_flatness(noise)
    assert max_xcorr(out, clip) < 0.3
    # Its character: its long-term spectrum is nearer the source than other sounds are.
    assert mel_distance(out, clip) < mel_distance(jazz(), clip)
    assert mel_distance(out, clip) < mel_distance(speech(), clip)


def test_it_has_no_seam_between_segments():
    config = texture.TextureConfig(segment_frames=160, overlap_frames=40, steps=FAST)
    clip = audio.log_mel(brahms(4.0))
    z = ((clip - clip.mean()) / clip.std())[None]
    target = texture.analyse(z, config)
    gen = torch.Generator().manual_seed(0)
    initial = target.band_mean[:, None] + target.band_std[:, None] * texture.smooth_noise(
        400, gen, config
    )
    spans = texture.plan_segments(400, config)
    assert len(spans) == 3 and spans[0][0] == 0 and spans[-1][1] == 400
    out = texture.synthesise(initial, target, config=config)[0]
    flux = (out[:, 1:] - out[:, :-1]).square().mean(0)  # change from each frame to the next
    joins = [spans[k - 1][1] - 1 for k in range(1, len(spans))]
    assert float(flux[joins].max()) < float(flux.quantile(0.99))
    assert float(out.std()) > 0.5  # it really moved from the smoothed noise toward the texture


def test_it_plans_segments_that_cover_any_length():
    config = texture.DEFAULT
    for frames in (10, 862, 863, 5000, 25_841):
        spans = texture.plan_segments(frames, config)
        assert spans[0][0] == 0 and spans[-1][1] == frames
        for (a0, a1), (b0, b1) in zip(spans, spans[1:], strict=False):
            assert a0 < b0 < a1 <= b1  # each segment overlaps the previous one's tail
            assert b1 - b0 <= config.segment_frames


def test_it_transfers_style_with_a_balance():
    a, b = brahms(4.0), jazz(4.0)
    keep = style(a, b, 0.0)
    half = style(a, b, 0.5)
    full = style(a, b, 1.0)
    for out in (keep, half, full):
        assert out.shape == (3 * SR,) and not audio.is_silent(out)
    # Strength 0 is clip A re-synthesised (new phase, same spectrogram); 1 is B's texture.
    assert spectrogram_correlation(keep, a[: 3 * SR]) > 0.9
    assert spectrogram_correlation(full, a[: 3 * SR]) < spectrogram_correlation(keep, a[: 3 * SR])
    assert mel_distance(full, b) < mel_distance(keep, b)
    assert mel_distance(half, b) < mel_distance(keep, b)
    assert np.array_equal(style(a, b, 0.5), half)


def test_it_reports_progress_often_and_in_order():
    events: list[tuple[float, str, float]] = []
    variation(brahms(), seconds=4.0, progress=lambda s, f: events.append((time.monotonic(), s, f)))
    fractions = [f for _, _, f in events]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(events) >= 20
    stages = {s for _, s, _ in events}
    assert {"analysing clip", "synthesising", "reconstructing phase"} <= stages
    gaps = np.diff([t for t, _, _ in events])
    assert gaps.max() < 1.0  # ~0.05 s on an idle machine; slack for a busy shared CPU


def test_it_cancels_promptly():
    asked_at: list[float] = []

    def cancelled() -> bool:
        if asked_at or time.monotonic() - start > 0.5:
            asked_at.append(time.monotonic())
            return True
        return False

    start = time.monotonic()
    with pytest.raises(Cancelled):
        variation(brahms(), seconds=30.0, steps=50, cancelled=cancelled)
    assert time.monotonic() - asked_at[0] < 1.0


def test_it_cancels_before_starting():
    with pytest.raises(Cancelled):
        variation(brahms(), cancelled=lambda: True)


@pytest.mark.parametrize(
    ("mode", "clips", "params", "error"),
    [
        ("nonsense", 1, {}, UnknownMode),
        ("variation", 0, {}, InvalidInput),
        ("variation", 2, {}, InvalidInput),
        ("style", 1, {}, InvalidInput),
        ("variation", 1, {"seconds": 0.0}, InvalidInput),
        ("variation", 1, {"seconds": -3.0}, InvalidInput),
        ("variation", 1, {"seconds": float("nan")}, InvalidInput),
        ("variation", 1, {"seconds": 300.5}, InvalidInput),
        ("variation", 1, {"strength": 1.5}, InvalidInput),
        ("style", 2, {"strength": -0.1}, InvalidInput),
        ("variation", 1, {"steps": 0}, InvalidInput),
        ("variation", 1, {"seed": -1}, InvalidInput),
    ],
)
def test_it_rejects_bad_requests(mode, clips, params, error):
    kwargs = {"seconds": 2.0, "seed": 0, **params}
    with pytest.raises(error) as caught:
        modes.generate(mode, [brahms(2.0)] * clips, modes.Params(**kwargs))
    assert str(caught.value)  # a message for the user


def test_it_rejects_silent_short_and_broken_clips():
    silent = np.zeros(3 * SR, dtype=np.float32)
    short = brahms(0.5)
    broken = brahms(2.0)
    broken[100] = np.nan
    params = modes.Params(seconds=2.0, seed=0)
    for clips in ([silent], [short], [broken], [brahms(2.0)[None, :]]):
        with pytest.raises(InvalidInput):
            modes.generate("variation", clips, params)
    with pytest.raises(InvalidInput, match="Clip 2 is silent"):
        modes.generate("style", [brahms(2.0), silent], params)


def test_it_wraps_unusable_mode_output(monkeypatch):
    from generator.engine.catalog import MODE_INFO, ModeInfo

    def run(clips, params, *, model=None, progress, cancelled):
        return np.full(SR, np.nan, dtype=np.float32)

    monkeypatch.setitem(
        MODE_INFO, "test-nan", ModeInfo("test-nan", "NaN", "Broken.", 0, "texture", 5.0)
    )
    modes.register(modes.Mode("test-nan", needs_model=False, run=run))
    try:
        with pytest.raises(EngineError):
            modes.generate("test-nan", [], modes.Params(seconds=1.0, seed=0))
    finally:
        modes.MODES.pop("test-nan", None)


def test_it_needs_clips_no_shorter_than_the_receptive_field():
    samples = texture.DEFAULT.min_samples
    assert samples / SR <= modes.MIN_CLIP_SECONDS


def test_it_makes_every_mode_at_44_1_khz(tmp_path):
    from tests.generator.trained_helpers import tiny_musicnet, tiny_unet

    unet = tiny_unet(tmp_path / "unet")
    music = tiny_musicnet(tmp_path / "musicnet")
    assert audio.SAMPLE_RATE == 44_100
    clip = brahms(3.0)
    for name, mode in modes.MODES.items():
        params = modes.Params(seconds=2.0, seed=0, strength=0.5, steps=2)
        clips = [clip[: int(1.5 * SR)]] if name == "continue" else [clip] * mode.clips
        model = unet if mode.needs_model else None
        if name == "replace":  # only the music network repaints a span
            clips, model = [clip[: 2 * SR]], music
            params = modes.Params(seconds=2.0, seed=0, steps=2, start=0.5, end=1.5)
        out = modes.generate(name, clips, params, model=model)
        assert out.shape == (2 * 44_100,), name
    for name in ("dream", "continue"):  # and the music network serves these too
        clips = [clip[: int(1.5 * SR)]] if name == "continue" else []
        params = modes.Params(seconds=2.0, seed=0, steps=2)
        assert modes.generate(name, clips, params, model=music).shape == (2 * 44_100,), name


def test_it_makes_a_full_band_variation_of_a_full_band_clip():
    source = audio.to_mono(bright_stereo(4.0))
    out = variation(source, seconds=3.0)
    # The source has about 5 % of its energy above 5 kHz beyond 11 kHz; so must the output.
    assert band_energy(out, 11_025) > 0.01 * band_energy(out, 5_000)
