"""The four trained modes through modes.generate, on real audio with a tiny U-Net."""

from __future__ import annotations

import numpy as np
import pytest

from generator.engine import audio, modes, vocoder
from generator.engine.diffusion import plan_windows
from generator.engine.diffusion_modes import REPAINT_OVERLAP, REPAINT_WIDTH
from generator.engine.errors import Cancelled, InvalidInput, UnknownMode
from tests.conftest import real_recording
from tests.generator.engine_helpers import band_energy, bright_stereo
from tests.generator.trained_helpers import tiny_tagger, tiny_unet

SR = audio.SAMPLE_RATE
pytestmark = pytest.mark.slow  # runs the diffusion sampler


@pytest.fixture(scope="module")
def unet(tmp_path_factory):
    return tiny_unet(tmp_path_factory.mktemp("unet"))


@pytest.fixture(scope="module")
def trumpet():
    return audio.load(real_recording("sorohanro_solo_trumpet.ogg"))


@pytest.fixture(scope="module")
def brahms():
    return audio.load(real_recording("brahms_hungarian_dance_5.ogg"))[: 4 * SR]


def _clips(name, trumpet, brahms):
    return {
        "remix": [trumpet],
        "continue": [trumpet[: 2 * SR]],
        "interpolate": [trumpet, brahms],
        "dream": [],
    }[name]


@pytest.mark.parametrize("name", ["remix", "continue", "interpolate", "dream"])
def test_it_generates_reproducibly_on_real_audio(name, unet, trumpet, brahms):
    clips = _clips(name, trumpet, brahms)
    params = modes.Params(seconds=3.0, seed=7, strength=0.6, steps=3)
    first = modes.generate(name, clips, params, model=unet)
    again = modes.generate(name, clips, params, model=unet)
    other = modes.generate(
        name, clips, modes.Params(seconds=3.0, seed=8, strength=0.6, steps=3), model=unet
    )
    assert first.dtype == np.float32 and first.shape == (3 * SR,)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)
    assert not audio.is_silent(first)
    assert np.all(np.isfinite(first))


def test_it_uses_the_shipped_default_model_when_none_is_given():
    out = modes.generate("dream", [], modes.Params(seconds=1.0, seed=0, steps=1))
    assert out.shape == (SR,) and not audio.is_silent(out)


def test_it_registers_the_four_trained_modes():
    for name, clips in (("remix", 1), ("continue", 1), ("interpolate", 2), ("dream", 0)):
        assert modes.MODES[name].clips == clips and modes.MODES[name].needs_model


def test_it_returns_the_clip_at_strength_zero(unet, trumpet):
    out = modes.generate(
        "remix", [trumpet], modes.Params(seconds=3.0, seed=1, strength=0.0), model=unet
    )
    np.testing.assert_allclose(out, audio.loudness_normalise(trumpet[: 3 * SR]), atol=1e-5)


def test_it_strays_further_with_more_strength(unet, trumpet):
    def distance(strength):
        out = modes.generate("remix", [trumpet], modes.Params(3.0, 1, strength, 4), model=unet)
        return float((audio.log_mel(out) - audio.log_mel(trumpet[: 3 * SR])).abs().mean())

    assert distance(0.2) < distance(1.0)


def test_it_keeps_the_clip_at_the_start_of_a_continuation(unet, trumpet):
    clip = trumpet[: 2 * SR]
    out = modes.generate("continue", [clip], modes.Params(seconds=4.5, seed=3, steps=2), model=unet)
    assert out.shape == (int(4.5 * SR),)
    # Before the cross-fade the clip is untouched (up to generate's loudness scaling).
    head = clip[:SR]
    scale = float(np.dot(out[:SR], head) / np.dot(head, head))
    np.testing.assert_allclose(out[:SR], head * scale, atol=1e-4)
    assert not audio.is_silent(out[2 * SR :])


def test_it_reports_progress_to_the_end(unet, trumpet):
    seen = []
    modes.generate(
        "remix",
        [trumpet],
        modes.Params(2.0, 1, 0.5, 4),
        model=unet,
        progress=lambda stage, f: seen.append((stage, f)),
    )
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("repaint" in stage for stage, _ in seen)


def test_it_can_be_cancelled(unet, trumpet):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        modes.generate("dream", [], modes.Params(2.0, 1, steps=20), model=unet, cancelled=cancelled)


def test_it_rejects_bad_inputs_with_typed_errors(unet, trumpet, tmp_path):
    with pytest.raises(UnknownMode):
        modes.generate("nope", [], modes.Params(2.0, 1), model=unet)
    with pytest.raises(InvalidInput, match="longer"):
        modes.generate("continue", [trumpet], modes.Params(2.0, 1), model=unet)
    with pytest.raises(InvalidInput, match="Steps"):
        modes.generate("dream", [], modes.Params(2.0, 1, steps=10_000), model=unet)
    with pytest.raises(InvalidInput, match="two clips"):
        modes.generate("interpolate", [trumpet], modes.Params(2.0, 1), model=unet)
    tagger = tiny_tagger(tmp_path / "tagger", ["a", "b"])
    with pytest.raises(InvalidInput, match="U-Net"):
        modes.generate("dream", [], modes.Params(2.0, 1), model=tagger)


@pytest.fixture
def widths(unet):
    """The widths of every input the network sees (a hook: the network runs as ever)."""
    seen: list[int] = []
    hook = unet.model.register_forward_pre_hook(lambda _, args: seen.append(args[0].shape[-1]))
    yield seen
    hook.remove()


@pytest.mark.slow
def test_it_repaints_long_audio_window_by_window(unet, trumpet, brahms, widths):
    """Remix, interpolate and dream: progress per window, reproducible, no wider than a window."""
    long = np.resize(trumpet, 14 * SR)
    frames = vocoder.n_frames(14 * SR)
    count = len(plan_windows(frames, REPAINT_WIDTH, REPAINT_OVERLAP))
    assert count == 3
    clips = {"remix": [long], "interpolate": [long, np.resize(brahms, 14 * SR)], "dream": []}
    seen: list[str] = []
    for name, sources in clips.items():
        seen.clear()
        params = modes.Params(seconds=14.0, seed=5, strength=1.0, steps=2)
        first = modes.generate(
            name, sources, params, model=unet, progress=lambda s, f: seen.append(s)
        )
        windows = [s for s in seen if "window" in s]
        assert len(windows) == 2 * count, (name, seen)
        assert {s.rsplit(", ", 1)[1] for s in windows} == {f"window {k} of 3" for k in (1, 2, 3)}
        assert np.array_equal(first, modes.generate(name, sources, params, model=unet)), name
    assert max(widths) <= REPAINT_WIDTH


def test_it_stops_between_windows_when_cancelled(unet, widths):
    with pytest.raises(Cancelled):
        modes.generate(
            "dream",
            [],
            modes.Params(14.0, 1, steps=3),
            model=unet,
            cancelled=lambda: len(widths) >= 2,
        )
    assert len(widths) == 2  # the first step's third window never ran


@pytest.mark.slow
def test_it_keeps_the_networks_input_to_one_window_at_a_minute(unet, widths):
    out = modes.generate("dream", [], modes.Params(60.0, 2, steps=1), model=unet)
    assert out.shape == (60 * SR,) and not audio.is_silent(out)
    frames = vocoder.n_frames(60 * SR)
    assert len(widths) == len(plan_windows(frames, REPAINT_WIDTH, REPAINT_OVERLAP)) >= 11
    assert max(widths) <= REPAINT_WIDTH


@pytest.fixture(scope="module")
def first_release_unet(tmp_path_factory):
    """A U-Net saved as the first networks were: 22,050 Hz, 1024/256, 128 mel bands."""
    return tiny_unet(tmp_path_factory.mktemp("unet22k"), params=audio.FIRST_RELEASE)


@pytest.mark.parametrize("name", ["remix", "continue", "interpolate", "dream"])
def test_it_serves_a_checkpoint_trained_on_other_audio_parameters(
    name, first_release_unet, trumpet, brahms
):
    assert first_release_unet.audio_params == audio.FIRST_RELEASE
    params = modes.Params(seconds=3.0, seed=7, strength=0.6, steps=3)
    clips = _clips(name, trumpet, brahms)
    out = modes.generate(name, clips, params, model=first_release_unet)
    again = modes.generate(name, clips, params, model=first_release_unet)
    # Output at 44.1 kHz whatever the model's rate; the model's own band ends at 11,025 Hz.
    assert out.shape == (3 * SR,) and np.array_equal(out, again)
    assert not audio.is_silent(out)
    generated = out[2 * SR :] if name == "continue" else out
    assert band_energy(generated, 11_500) < 1e-4 * band_energy(generated, 0)


def test_it_makes_full_band_audio_with_a_full_band_checkpoint(unet):
    assert unet.audio_params == audio.DEFAULT
    source = audio.to_mono(bright_stereo(4.0))
    out = modes.generate("remix", [source], modes.Params(3.0, 1, 0.3, 4), model=unet)
    assert band_energy(out, 11_025) > 0.01 * band_energy(out, 5_000)


def test_it_keeps_the_clip_full_band_in_a_continuation_by_an_older_model(
    first_release_unet,
):
    clip = audio.to_mono(bright_stereo(2.0))
    out = modes.generate(
        "continue", [clip], modes.Params(4.0, 3, steps=2), model=first_release_unet
    )
    head = out[: SR + SR // 2]  # the original clip, before the cross-fade
    assert band_energy(head, 11_025) > 0.01 * band_energy(head, 5_000)
