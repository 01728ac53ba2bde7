"""Checkpoints: safetensors + config.json, verified on load, never a pickle."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from safetensors.torch import save_file

from generator.engine import audio, checkpoints
from generator.engine.checkpoints import CheckpointError
from tests.generator.trained_helpers import TINY_UNET, tiny_tagger, tiny_unet


def test_it_round_trips_weights_and_config(tmp_path):
    ckpt = tiny_unet(tmp_path / "u")
    again = checkpoints.load(tmp_path / "u")
    for (k, a), (_, b) in zip(
        ckpt.model.state_dict().items(), again.model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), k
    config = json.loads((tmp_path / "u" / "config.json").read_text())
    assert config["format_version"] == checkpoints.FORMAT_VERSION
    assert config["arch"] == "unet" and config["audio"]["sample_rate"] == 44_100
    assert config["sha256"] == checkpoints.sha256_file(tmp_path / "u" / "model.safetensors")
    assert not again.model.training


def test_it_rejects_tampered_weights(tmp_path):
    tiny_unet(tmp_path / "u")
    weights = tmp_path / "u" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        checkpoints.load(tmp_path / "u")


def test_it_rejects_weights_that_do_not_fit_the_architecture(tmp_path):
    tiny_unet(tmp_path / "u")
    config_path = tmp_path / "u" / "config.json"
    # Re-sign weights of another shape: the hash passes, the shape check must not.
    other = checkpoints.build("unet", {**TINY_UNET, "channels": [8, 24]})
    save_file(dict(other.state_dict()), str(tmp_path / "u" / "model.safetensors"))
    config = json.loads(config_path.read_text())
    config["sha256"] = checkpoints.sha256_file(tmp_path / "u" / "model.safetensors")
    config_path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="does not fit"):
        checkpoints.load(tmp_path / "u")


def test_it_rejects_other_format_versions_and_architectures(tmp_path):
    tiny_unet(tmp_path / "u")
    config_path = tmp_path / "u" / "config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format version"):
        checkpoints.load(tmp_path / "u")
    config_path.write_text(json.dumps({**config, "arch": "transformer"}))
    with pytest.raises(CheckpointError, match="Unknown architecture"):
        checkpoints.load(tmp_path / "u")
    with pytest.raises(CheckpointError, match="No config.json"):
        checkpoints.load(tmp_path / "missing")


def test_it_never_unpickles(tmp_path, monkeypatch):
    tiny_tagger(tmp_path / "t", ["a", "b"])

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert checkpoints.load(tmp_path / "t").arch == "tagger"


def test_it_caches_loaded_models_by_path(tmp_path):
    tiny_unet(tmp_path / "u")
    assert checkpoints.cached(tmp_path / "u") is checkpoints.cached(str(tmp_path / "u"))


def test_it_ships_verified_default_models():
    for arch in ("unet", "tagger"):
        ckpt = checkpoints.default(arch)
        assert ckpt.arch == arch and ckpt.config["metrics"]
        assert ckpt.config["provenance"]["train_pieces"] > 0
    size = sum(f.stat().st_size for f in checkpoints.WEIGHTS_DIR.rglob("*") if f.is_file())
    assert size < 40 * 2**20


def test_it_loads_checkpoints_trained_on_other_audio_parameters(tmp_path):
    ckpt = tiny_unet(tmp_path / "u", params=audio.FIRST_RELEASE)
    again = checkpoints.load(tmp_path / "u")
    assert again.audio_params == ckpt.audio_params == audio.FIRST_RELEASE
    assert checkpoints.default("unet").audio_params.sample_rate in (22_050, 44_100)


def test_it_refuses_audio_parameters_it_cannot_use(tmp_path):
    tiny_unet(tmp_path / "u")
    config_path = tmp_path / "u" / "config.json"
    config = json.loads(config_path.read_text())
    for audio_params, message in (
        ({**config["audio"], "hop": 333}, "unusable audio parameters"),
        ({"sample_rate": 44_100}, "unusable audio parameters"),
        ({**config["audio"], "n_mels": 128}, "reads 160 mel bands"),
    ):
        config_path.write_text(json.dumps({**config, "audio": audio_params}))
        with pytest.raises(CheckpointError, match=message):
            checkpoints.load(tmp_path / "u")
