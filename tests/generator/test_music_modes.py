"""Dream with styles, continue from a chosen point, replace a section: the music network's modes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.engine import audio, modes, music_sampling
from generator.engine.errors import Cancelled, InvalidInput
from tests.generator.engine_helpers import jazz
from tests.generator.trained_helpers import tiny_musicnet, tiny_unet

SR = audio.SAMPLE_RATE


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return tiny_musicnet(tmp_path_factory.mktemp("musicnet"), window=64)


def _params(**kw) -> modes.Params:
    return modes.Params(**{"seconds": 2.0, "seed": 3, "steps": 2, **kw})


def test_it_dreams_the_same_music_from_the_same_seed_and_other_music_from_another(net):
    a = modes.generate("dream", [], _params(), model=net)
    b = modes.generate("dream", [], _params(), model=net)
    c = modes.generate("dream", [], _params(seed=4), model=net)
    assert a.shape == (2 * SR,)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_it_steers_a_dream_by_style_and_guidance(net):
    plain = modes.generate("dream", [], _params(), model=net)
    styled = modes.generate("dream", [], _params(styles=("chiptune",), guidance=3.0), model=net)
    other = modes.generate("dream", [], _params(styles=("chiptune",), guidance=1.5), model=net)
    assert not np.allclose(plain, styled)
    assert not np.allclose(styled, other)


def test_it_refuses_an_unknown_style_or_wild_guidance(net):
    with pytest.raises(InvalidInput, match="unknown style 'polka'"):
        modes.generate("dream", [], _params(styles=("polka",)), model=net)
    with pytest.raises(InvalidInput, match="guidance"):
        modes.generate("dream", [], _params(guidance=50.0), model=net)
    with pytest.raises(InvalidInput, match="tempo"):
        modes.generate("dream", [], _params(tempo=7.0), model=net)


def test_it_reports_progress_per_window_and_stops_when_cancelled(net):
    seen: list[tuple[str, float]] = []
    modes.generate(
        "dream", [], _params(seconds=3.0), model=net, progress=lambda s, f: seen.append((s, f))
    )
    windows = {s for s, _ in seen if "window" in s}
    assert len(windows) >= 3  # 3 s is 259 frames: several 64-frame windows
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 4

    with pytest.raises(Cancelled):
        modes.generate("dream", [], _params(seconds=3.0), model=net, cancelled=cancelled)


def test_it_plans_windows_that_overlap_and_cover_everything():
    known = torch.zeros(300, dtype=torch.bool)
    known[:100] = True
    starts = music_sampling.plan(known, 64, context=24)
    covered = known.clone()
    for s in starts:
        assert covered[s : s + 24].all()  # each window begins inside what exists
        covered[s : s + 64] = True
    assert covered.all() and starts[0] == 100 - 24


def test_it_continues_from_a_chosen_point_keeping_the_clip_before_it(net):
    clip = jazz(3.0)
    out = modes.generate("continue", [clip], _params(seconds=4.0, start=1.5), model=net)
    assert out.shape == (4 * SR,)
    cut = int(1.5 * SR) - 1024  # the cross-fade begins 1,024 samples before the point
    gain = np.dot(out[:cut], clip[:cut]) / np.dot(clip[:cut], clip[:cut])
    assert np.allclose(out[:cut], clip[:cut] * gain, atol=1e-4)
    # After the point it is new audio, not the rest of the clip.
    assert not np.allclose(out[int(1.5 * SR) : 3 * SR], clip[int(1.5 * SR) :] * gain, atol=0.05)


def test_it_refuses_a_point_outside_the_clip_or_a_duration_before_it(net):
    clip = jazz(3.0)
    with pytest.raises(InvalidInput, match="inside the clip"):
        modes.generate("continue", [clip], _params(seconds=6.0, start=4.0), model=net)
    with pytest.raises(InvalidInput, match="duration above 2.0 s"):
        modes.generate("continue", [clip], _params(seconds=1.5, start=2.0), model=net)


def test_it_replaces_a_section_and_leaves_the_rest_bit_identical(net):
    clip = jazz(4.0)
    p = _params(seconds=4.0, start=1.0, end=2.5)
    out = modes.generate("replace", [clip], p, model=net)
    a, b = SR, int(2.5 * SR)
    assert np.array_equal(out[:a], clip[:a]) and np.array_equal(out[b:], clip[b:])
    assert np.abs(out[a:b] - clip[a:b]).max() > 0.01
    assert np.array_equal(out, modes.generate("replace", [clip], p, model=net))


def test_it_replaces_a_section_of_a_stereo_clip_keeping_both_channels_outside(net):
    clip = jazz(3.0)
    stereo = np.stack([clip * 0.9, clip * 0.5 + 0.01 * np.roll(clip, 300)]).astype(np.float32)
    out = modes.generate("replace", [stereo], _params(seconds=3.0, start=1.0, end=2.0), model=net)
    assert out.shape == stereo.shape
    assert np.array_equal(out[:, :SR], stereo[:, :SR])
    assert np.array_equal(out[:, 2 * SR :], stereo[:, 2 * SR :])


def test_it_refuses_a_section_that_does_not_fit(net, tmp_path):
    clip = jazz(3.0)
    with pytest.raises(InvalidInput, match="inside the clip"):
        modes.generate("replace", [clip], _params(seconds=3.0, start=1.0, end=9.0), model=net)
    with pytest.raises(InvalidInput, match="at least 0.25 s"):
        modes.generate("replace", [clip], _params(seconds=3.0, start=1.0, end=1.1), model=net)
    first = tiny_unet(tmp_path / "unet")
    with pytest.raises(InvalidInput, match="needs the music model"):
        modes.generate("replace", [clip], _params(seconds=3.0, start=1.0, end=2.0), model=first)
