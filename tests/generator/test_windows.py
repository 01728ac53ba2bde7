"""Long audio in pieces: the sampler's windows, the vocoder's blocks and the clip analysis.

Each piece must join without a seam (the change from one mel frame to the next
is no larger where pieces meet than elsewhere), and a piece small enough to be
the whole gives exactly what one pass gives.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.engine import audio, checkpoints, diffusion, diffusion_modes, vocoder
from generator.engine.diffusion import MelNorm, plan_windows

SEAM = 1.5  # at most this many times the mean frame-to-frame change elsewhere


def seam_ratio(mel: torch.Tensor, joins: list[int]) -> float:
    """Mean squared change between frames across the joins, over the same elsewhere.

    ``mel``: Tensor[n_mels, frames]; a join j is between frames j - 1 and j.
    """
    change = (mel[:, 1:] - mel[:, :-1]).square().mean(0)  # change[i]: frame i to i + 1
    across = sorted({j - 1 for j in joins})
    elsewhere = torch.ones(len(change), dtype=torch.bool)
    elsewhere[across] = False
    return float(change[across].mean() / change[elsewhere].mean())


def window_joins(spans: list[tuple[int, int]]) -> list[int]:
    """Where windows start and end inside the output, and the middle of each overlap."""
    joins = set()
    for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        joins |= {b0, a1, (b0 + a1) // 2}
    return sorted(joins)


@pytest.mark.parametrize("frames", [10, 512, 513, 1292, 5169, 25_841])
def test_it_plans_windows_that_cover_any_length(frames):
    spans = plan_windows(frames, 512, 64)
    assert spans[0][0] == 0 and spans[-1][1] == frames
    assert len({b - a for a, b in spans}) == 1 and spans[0][1] - spans[0][0] <= 512
    for (a0, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        assert a0 < b0 and a1 - b0 >= 63  # each overlaps the next by about 64 frames
    assert (len(spans) == 1) == (frames <= 512)


@pytest.fixture(scope="module")
def unet() -> torch.nn.Module:
    return checkpoints.default("unet").model


@pytest.fixture(scope="module")
def noise() -> torch.Tensor:
    return torch.randn(1, 1, audio.N_MELS, 1292, generator=torch.Generator().manual_seed(0))


@pytest.mark.slow
def test_it_denoises_in_windows_without_a_seam(unet, noise):
    spans = plan_windows(noise.shape[-1], 512, 64)
    assert len(spans) == 3
    windowed = diffusion.ddim_sample(unet, noise, steps=4, window=512, overlap=64)
    assert seam_ratio(windowed[0, 0], window_joins(spans)) < SEAM

    # The check can fail: windows denoised on their own and butted together leave a seam.
    cuts = [(a1 + b0) // 2 for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False)]
    bounds = [0, *cuts, noise.shape[-1]]
    butted = torch.cat(
        [
            diffusion.ddim_sample(unet, noise[..., a:b], steps=4)[..., lo - a : hi - a]
            for (a, b), lo, hi in zip(spans, bounds[:-1], bounds[1:], strict=True)
        ],
        dim=-1,
    )
    assert seam_ratio(butted[0, 0], cuts) > SEAM
    # Away from the joins the windows agree with one pass over the whole.
    whole = diffusion.ddim_sample(unet, noise, steps=4)
    assert float((windowed - whole).abs().mean()) < 0.1 * float(whole.abs().mean())


def test_it_denoises_one_window_exactly_as_one_pass(unet, noise):
    short = noise[..., :400]
    np.testing.assert_array_equal(
        diffusion.ddim_sample(unet, short, steps=3, window=512),
        diffusion.ddim_sample(unet, short, steps=3),
    )


def test_it_reports_and_checks_for_a_cancel_at_every_window(unet, noise):
    seen = []
    checks = []

    def cancelled() -> bool:
        checks.append(len(seen))
        return False

    diffusion.ddim_sample(
        unet,
        noise,
        steps=2,
        window=512,
        progress=lambda stage, f: seen.append((stage, f)),
        cancelled=cancelled,
    )
    assert [stage for stage, _ in seen] == [f"denoising, window {k} of 3" for k in (1, 2, 3)] * 2
    assert [f for _, f in seen] == pytest.approx([k / 6 for k in range(1, 7)])
    assert checks == list(range(6))  # asked before each window, after the last report


def test_it_analyses_a_long_clip_in_blocks_exactly_as_in_one(monkeypatch):
    rng = np.random.default_rng(0)
    clip = (rng.standard_normal(70 * audio.SAMPLE_RATE + 123) * 0.1).astype(np.float32)
    norm = MelNorm()
    blocked = diffusion_modes._mel(clip, norm, audio.DEFAULT)
    monkeypatch.setattr(diffusion_modes, "MEL_BLOCK", 10**9)
    whole = diffusion_modes._mel(clip, norm, audio.DEFAULT)
    assert blocked.shape == whole.shape == (1, 1, audio.N_MELS, vocoder.n_frames(len(clip)))
    torch.testing.assert_close(blocked, whole, rtol=0, atol=1e-5)
