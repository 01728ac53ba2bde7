"""Save, verify and load trained networks: ``model.safetensors`` + ``config.json``.

Why this shape: safetensors holds only tensors (no pickle, so a checkpoint
cannot run code when loaded); the JSON beside it says what the tensors are
(format version, architecture, hyper-parameters, audio parameters, training
data provenance, metrics) and carries the sha256 of the weights file, so a
tampered or truncated file is refused before any tensor is read. Loading never
touches the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from generator.engine import audio

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"

# What a checkpoint saved today is trained on; older ones carry their own (audio.FIRST_RELEASE).
AUDIO_PARAMS = audio.DEFAULT.to_dict()


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted or does not fit its architecture."""


def _build_unet(**hp: Any) -> nn.Module:
    from generator.engine.nets.unet import UNet

    hp = dict(hp)
    if "channels" in hp:
        hp["channels"] = tuple(hp["channels"])
    return UNet(**hp)


def _build_musicnet(**hp: Any) -> nn.Module:
    from generator.engine.nets.musicnet import MusicUNet

    hp = {k: tuple(v) if isinstance(v, list) else v for k, v in hp.items()}
    return MusicUNet(**hp)


def _build_tagger(**hp: Any) -> nn.Module:
    from generator.engine.nets.tagger import Tagger

    hp = dict(hp)
    if "channels" in hp:
        hp["channels"] = tuple(hp["channels"])
    return Tagger(**hp)


def _build_aisfx(**hp: Any) -> nn.Module:
    from generator.engine.nets.aisfx import AisfxEmbedding

    return AisfxEmbedding(**hp)


def _build_melody(**hp: Any) -> nn.Module:
    from generator.engine.nets.melody import MelodyCNN

    return MelodyCNN(**hp)


def _build_style(**hp: Any) -> nn.Module:
    from generator.engine.nets.melody import StyleCNN

    return StyleCNN(**hp)


# Architecture name -> builder of a fresh model from its hyper-parameters.
BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "unet": _build_unet,
    "musicnet": _build_musicnet,
    "tagger": _build_tagger,
    "aisfx": _build_aisfx,
    "melody_cnn": _build_melody,
    "style_cnn": _build_style,
}


def build(arch: str, hparams: dict[str, Any]) -> nn.Module:
    """Build a fresh model of a named architecture, in eval mode."""
    try:
        builder = BUILDERS[arch]
    except KeyError:
        raise CheckpointError(
            f"Unknown architecture {arch!r}; known: {', '.join(sorted(BUILDERS))}."
        ) from None
    return builder(**hparams).eval()


@dataclass(frozen=True)
class Checkpoint:
    """A loaded, verified model and the config it came with."""

    model: nn.Module
    config: dict[str, Any] = field(hash=False, compare=False)
    path: Path = Path()

    @property
    def arch(self) -> str:
        return self.config["arch"]

    @property
    def extra(self) -> dict[str, Any]:
        return self.config.get("extra", {})

    @property
    def audio_params(self) -> audio.AudioParams:
        """The audio parameters it was trained on: its mel and vocoder must use these."""
        return audio.AudioParams.from_dict(self.config["audio"])

    @property
    def version(self) -> str:
        return f"{self.arch}@{self.config['sha256'][:12]}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(
    model: nn.Module,
    out_dir: str | Path,
    *,
    arch: str,
    hparams: dict[str, Any],
    provenance: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    audio_params: audio.AudioParams = audio.DEFAULT,
) -> Path:
    """Write model.safetensors and config.json into out_dir; returns out_dir.

    ``extra`` carries what inference needs beyond the weights (for example the
    tagger's class names or the U-Net's normalisation constants);
    ``audio_params`` the sample rate and mel layout the model was trained on.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    weights = out / WEIGHTS
    save_file(state, str(weights), metadata={"format_version": str(FORMAT_VERSION), "arch": arch})
    config = {
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "hparams": hparams,
        "audio": audio_params.to_dict(),
        "provenance": provenance or {},
        "metrics": metrics or {},
        "extra": extra or {},
        "parameters": int(sum(v.numel() for v in state.values())),
        "sha256": sha256_file(weights),
    }
    (out / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return out


def read_config(path: str | Path) -> dict[str, Any]:
    """Read and check config.json of a checkpoint directory."""
    cfg_path = Path(path) / CONFIG
    try:
        config = json.loads(cfg_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"No {CONFIG} in {path}.") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{cfg_path} is not valid JSON: {exc}") from None
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{cfg_path}: format version {config.get('format_version')!r}, "
            f"this code reads version {FORMAT_VERSION}."
        )
    for key in ("arch", "hparams", "sha256", "audio"):
        if key not in config:
            raise CheckpointError(f"{cfg_path} lacks {key!r}.")
    # Any sample rate and mel layout is served (the modes resample to it); they must be usable.
    try:
        params = audio.AudioParams.from_dict(config["audio"])
    except ValueError as exc:
        raise CheckpointError(f"{cfg_path}: unusable audio parameters: {exc}.") from None
    n_mels = dict(config["hparams"]).get("n_mels", params.n_mels)
    if n_mels != params.n_mels:
        raise CheckpointError(
            f"{cfg_path}: the network reads {n_mels} mel bands, its audio parameters give "
            f"{params.n_mels}."
        )
    return config


def load(path: str | Path) -> Checkpoint:
    """Verify and load a checkpoint directory into a model in eval mode (uncached)."""
    path = Path(path)
    config = read_config(path)
    weights = path / WEIGHTS
    if not weights.exists():
        raise CheckpointError(f"No {WEIGHTS} in {path}.")
    actual = sha256_file(weights)
    if actual != config["sha256"]:
        raise CheckpointError(
            f"{weights} does not match the sha256 in its config (tampered or corrupt)."
        )
    model = build(config["arch"], config["hparams"])
    state = load_file(str(weights), device="cpu")
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))[:3]
        unexpected = sorted(set(found) - set(expected))[:3]
        wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])[:3]
        raise CheckpointError(
            f"{weights} does not fit architecture {config['arch']!r}: missing {missing}, "
            f"unexpected {unexpected}, wrong shapes {wrong}."
        )
    model.load_state_dict(state, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    log.info("loaded %s from %s", config["arch"], path)
    return Checkpoint(model=model, config=config, path=path)


@lru_cache(maxsize=16)
def _cached(path: str) -> Checkpoint:
    return load(path)


def cached(path: str | Path) -> Checkpoint:
    """Load once per process (a worker keeps each model loaded), keyed by resolved path."""
    return _cached(str(Path(path).resolve()))


def default_path(arch: str) -> Path:
    return WEIGHTS_DIR / arch


def default(arch: str) -> Checkpoint:
    """The committed default checkpoint of an architecture (cached)."""
    path = default_path(arch)
    if not (path / CONFIG).exists():
        raise CheckpointError(f"No default {arch!r} checkpoint is installed at {path}.")
    return cached(path)
