"""The music network: six seconds of context, width-independent norms, conditioning, loading."""

from __future__ import annotations

import pytest
import torch

from generator.engine import checkpoints
from generator.engine.nets import musicnet
from generator.engine.nets.unet import UNet
from tests.generator.trained_helpers import TINY_MUSICNET, TINY_UNET, tiny_musicnet, tiny_unet

SIX_SECONDS = 517  # frames at 44,100 / 512


def _tiny(**over) -> musicnet.MusicUNet:
    torch.manual_seed(0)
    hp = {**TINY_MUSICNET, **over}
    hp = {k: tuple(v) if isinstance(v, list) else v for k, v in hp.items()}
    net = musicnet.MusicUNet(**hp)
    torch.nn.init.normal_(net.conv_out.weight, std=0.05)
    return net.eval()


def test_it_hears_more_than_six_seconds_with_the_shipped_layout():
    """The centre frame's output depends on input frames more than 6 s apart."""
    # Same depth, folds and dilations as the default; narrow channels keep it fast.
    net = _tiny(channels=[4, 4, 4], bottom=8, dilations=[1, 2, 4, 8, 16, 1, 2, 4])
    width = 1024
    x = torch.zeros(1, 1, 160, width, requires_grad=True)
    out = net(x, torch.zeros_like(x), torch.zeros_like(x), torch.tensor([0.5]))
    out[..., width // 2].sum().backward()
    reach = (x.grad.abs().sum(dim=(0, 1, 2)) > 0).nonzero().flatten()
    assert int(reach[-1] - reach[0]) >= SIX_SECONDS


def test_it_normalises_each_frame_the_same_whatever_the_window():
    norm = musicnet.FrameNorm(6)
    x = torch.randn(1, 6, 10, 800)
    long = norm(x)
    short = norm(x[..., 300:428])
    assert torch.allclose(long[..., 300:428], short, atol=1e-5)


def test_it_listens_to_the_style_and_the_beat_channels():
    net = _tiny()
    x = torch.randn(1, 1, 160, 64)
    zeros = torch.zeros_like(x)
    t = torch.tensor([0.5])
    plain = net(x, zeros, zeros, t)
    styled = net(x, zeros, zeros, t, style=torch.tensor([[0.0, 1.0, 0.0]]))
    beat = net(x, zeros, zeros, t, frames=torch.randn(1, musicnet.FRAME_FEATURES, 64))
    assert not torch.allclose(plain, styled)
    assert not torch.allclose(plain, beat)
    # No style given is the same as an all-zero style vector (the guidance baseline).
    assert torch.equal(plain, net(x, zeros, zeros, t, style=torch.zeros(1, 3)))


def test_it_refuses_a_mel_layout_that_does_not_fold():
    with pytest.raises(ValueError, match="do not fold"):
        musicnet.MusicUNet(n_mels=150, channels=(8, 16), fold=(4, 2))


def test_it_saves_and_loads_beside_the_first_unet(tmp_path):
    music = tiny_musicnet(tmp_path / "music")
    first = tiny_unet(tmp_path / "unet")
    assert isinstance(music.model, musicnet.MusicUNet) and music.arch == "musicnet"
    assert isinstance(first.model, UNet) and first.config["hparams"] == TINY_UNET
    again = checkpoints.load(tmp_path / "music")
    for a, b in zip(
        music.model.state_dict().values(), again.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
