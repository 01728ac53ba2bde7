"""The diffusion U-Net and the sampler's plumbing: shapes, any width, small enough for a CPU."""

from __future__ import annotations

import torch

from generator.engine import checkpoints, diffusion
from generator.engine.training import DEFAULT_HPARAMS
from tests.generator.trained_helpers import TINY_UNET


def test_it_predicts_the_input_shape_at_any_width():
    torch.manual_seed(0)
    model = checkpoints.build("unet", TINY_UNET)
    torch.nn.init.normal_(model.conv_out.weight, std=0.02)
    for width in (37, 128, 203):
        x = torch.randn(2, 1, 128, width)
        x0, eps = diffusion.predict(model, x, torch.tensor([0.5]))
        assert x0.shape == eps.shape == x.shape
        assert torch.isfinite(x0).all()


def test_it_stays_a_few_million_parameters():
    model = checkpoints.build("unet", DEFAULT_HPARAMS["unet"])
    assert 0.5e6 < sum(p.numel() for p in model.parameters()) < 5e6


def test_it_keeps_known_frames_when_inpainting():
    torch.manual_seed(0)
    model = checkpoints.build("unet", TINY_UNET)
    torch.nn.init.normal_(model.conv_out.weight, std=0.02)
    known = torch.randn(1, 1, 128, 64)
    mask = torch.zeros_like(known)
    mask[..., :16] = 1
    out = diffusion.ddim_sample(model, torch.randn_like(known), steps=3, known=known, mask=mask)
    torch.testing.assert_close(out[..., :16], known[..., :16])


def test_it_recovers_clean_input_from_the_schedule():
    x0 = torch.randn(2, 1, 8, 8)
    noise = torch.randn_like(x0)
    t = torch.tensor([0.3, 0.8])
    x_t = diffusion.q_sample(x0, t, noise)
    alpha, sigma = diffusion.alpha_sigma(t)
    v = diffusion.v_target(x0, noise, t)
    torch.testing.assert_close(alpha * x_t - sigma * v, x0)
