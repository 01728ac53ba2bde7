"""Train the diffusion U-Net or the tagger from audio files, resumably and reproducibly.

Callable from Python with a list of audio paths (the web's "train from these
clips" job) or with corpus directories (``manage.py build_corpus`` output, whose
manifest gives labels and the by-piece split). Everything random (init, crops,
augmentation, diffusion noise, dropout) is drawn from torch generators whose
states are saved in every resumable checkpoint, so training N steps in one go
or in two runs gives the same weights.

Data: each piece becomes one log-mel Tensor[n_mels, frames]; a batch is random
``window``-frame crops Tensor[B, 1, n_mels, window] with augmentation in the
mel domain (gain = an additive constant in log power, small pitch shifts = a
roll of mel bins, small time stretches = linear resampling of frames).
No Django imports.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional as F

from generator.engine import audio, checkpoints
from generator.engine import corpus as corpus_mod
from generator.engine.contract import CancelCheck, Progress
from generator.engine.diffusion import MelNorm, q_sample, v_target
from generator.engine.music_data import MelCache

log = logging.getLogger(__name__)

STATE_WEIGHTS = "train_state.safetensors"
STATE_JSON = "train_state.json"
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".oga", ".opus"}

DEFAULT_HPARAMS: dict[str, dict[str, Any]] = {
    "unet": {"n_mels": audio.N_MELS, "channels": [32, 64, 128], "t_dim": 128},
    "tagger": {"n_mels": audio.N_MELS, "channels": [16, 32, 64, 128], "embed_dim": 128},
}


class TrainingError(ValueError):
    """Training inputs that cannot work; the message says what to change."""


@dataclass(frozen=True)
class TrainConfig:
    """What to train and how; saved with every checkpoint so a resume can check it."""

    arch: str
    steps: int
    seed: int = 0
    batch_size: int = 8
    lr: float = 3e-4
    window: int = 128
    ema_decay: float = 0.995
    checkpoint_every: int = 50
    p_inpaint: float = 0.5
    gain_db: float = 3.0
    pitch_bins: int = 2
    stretch: float = 0.1
    hparams: dict[str, Any] = field(default_factory=dict)


@dataclass
class Dataset:
    """Log-mels of the pieces, with labels for the tagger: mels[i] is Tensor[n_mels, frames]."""

    mels: list[torch.Tensor | np.ndarray]  # arrays: float16 mels memory-mapped from a MelCache
    labels: list[int]
    classes: list[str]
    names: list[str]
    seconds: float
    provenance: list[dict[str, Any]]


def _pieces_from(data: Sequence[str | Path], split: str) -> list[corpus_mod.Piece]:
    """Expand corpus dirs (by manifest split), plain dirs and files into pieces."""
    pieces: list[corpus_mod.Piece] = []
    for item in data:
        path = Path(item)
        if path.is_dir() and (path / corpus_mod.MANIFEST).exists():
            pieces += [p for p in corpus_mod.read(path) if p.split == split]
        elif path.is_dir():
            if split != "train":
                continue
            for f in sorted(path.rglob("*")):
                if f.suffix.lower() in AUDIO_SUFFIXES:
                    pieces.append(_plain_piece(f))
        elif path.is_file():
            if split == "train":
                pieces.append(_plain_piece(path))
        else:
            raise TrainingError(f"Training data {path} does not exist.")
    return pieces


def _plain_piece(path: Path) -> corpus_mod.Piece:
    # A plain file's label is its folder's name (for a tagger trained from folders).
    labels = {"tag": path.parent.name, "music": True}
    return corpus_mod.Piece(
        str(path), "files", "unknown", str(path.resolve()), 0.0, "train", labels
    )


def load_data(
    data: Sequence[str | Path],
    arch: str,
    *,
    split: str = "train",
    classes: list[str] | None = None,
    min_frames: int = 160,
    cache: MelCache | None = None,
) -> Dataset:
    """Decode and analyse the pieces once: the U-Net sees music only, the tagger everything.

    With a ``cache`` (the music network's mel cache, filled here where a piece is
    missing) the mels stay on disk, memory-mapped float16, so a corpus of tens of
    hours trains in little memory; without one every mel is held as float32.
    """
    pieces = _pieces_from(data, split)
    if arch == "unet":
        pieces = [p for p in pieces if p.labels.get("music", True)]
    if classes is None:
        classes = sorted({str(p.labels.get("tag", "unknown")) for p in pieces})
    mels, labels, names, prov, seconds = [], [], [], [], 0.0
    for p in pieces:
        tag = str(p.labels.get("tag", "unknown"))
        if arch == "tagger" and tag not in classes:
            continue
        mel = _cached_mel(cache, p.path) if cache is not None else _decoded_mel(p.path)
        if mel is None:
            continue
        seconds += mel.shape[-1] * audio.HOP / audio.SAMPLE_RATE
        if mel.shape[-1] < min_frames:  # tile short clips so any crop fits
            reps = math.ceil(min_frames / mel.shape[-1])
            mel = mel.repeat(1, reps) if isinstance(mel, torch.Tensor) else np.tile(mel, (1, reps))
        mels.append(mel)
        labels.append(classes.index(tag) if tag in classes else -1)
        names.append(p.piece)
        prov.append({"piece": p.piece, "source": p.source, "licence": p.licence})
    return Dataset(mels, labels, classes, names, seconds, prov)


def _decoded_mel(path: str) -> torch.Tensor | None:
    """The log-mel of one file, or None when it is silent."""
    try:
        samples = audio.load(path)
    except audio.AudioError as exc:
        raise TrainingError(f"{path}: {exc}") from exc
    if audio.is_silent(samples):
        return None
    return audio.log_mel(samples).contiguous()


def _cached_mel(cache: MelCache, path: str) -> np.ndarray | None:
    """The cached log-mel of one file (analysed now if missing); None if silent or broken."""
    if not cache.has(path):
        cache.build(path)
    got = cache.get(path)
    return None if got is None else got[0]


def _columns(mel: torch.Tensor | np.ndarray, start: int, span: int) -> torch.Tensor:
    """Frames start..start+span of a mel as float32 Tensor[n_mels, span]."""
    if isinstance(mel, torch.Tensor):
        return mel[:, start : start + span]
    return torch.from_numpy(np.asarray(mel[:, start : start + span], dtype=np.float32))


def mel_stats(ds: Dataset) -> MelNorm:
    """Mean and standard deviation of all log-mel bins (stored in the checkpoint)."""
    # Cached (memory-mapped) mels are read every 8th frame: a corpus of hours needs no more.
    mels = [
        m
        if isinstance(m, torch.Tensor)
        else torch.from_numpy(np.array(m[:, ::8], dtype=np.float32))
        for m in ds.mels
    ]
    total = sum(m.numel() for m in mels)
    mean = sum(float(m.double().sum()) for m in mels) / total
    var = sum(float(((m.double() - mean) ** 2).sum()) for m in mels) / total
    return MelNorm(round(mean, 4), round(math.sqrt(var), 4))


def sample_batch(
    ds: Dataset, cfg: TrainConfig, gen: torch.Generator, augment: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops with augmentation: (log-mel Tensor[B, 1, M, window], labels Tensor[B])."""
    weights = torch.tensor([float(m.shape[-1]) for m in ds.mels])
    if cfg.arch == "tagger":
        # Balance classes: a 14 s speech clip must count as much as hours of orchestra.
        labels = torch.tensor(ds.labels)
        for label in labels.unique():
            weights[labels == label] /= weights[labels == label].sum()
    idx = torch.multinomial(weights, cfg.batch_size, replacement=True, generator=gen)
    crops = []
    for i in idx.tolist():
        mel = ds.mels[i]
        rate = 1.0
        if augment and cfg.stretch > 0:
            rate = 1.0 + (float(torch.rand((), generator=gen)) * 2 - 1) * cfg.stretch
        span = min(mel.shape[-1], max(8, round(cfg.window * rate)))
        start = int(torch.randint(0, mel.shape[-1] - span + 1, (), generator=gen))
        crop = _columns(mel, start, span)
        if span != cfg.window:
            crop = F.interpolate(crop[None], size=cfg.window, mode="linear", align_corners=False)[0]
        if augment:
            gain = (float(torch.rand((), generator=gen)) * 2 - 1) * cfg.gain_db
            crop = crop + gain * math.log(10) / 10  # dB of power -> natural-log units
            shift = int(torch.randint(-cfg.pitch_bins, cfg.pitch_bins + 1, (), generator=gen))
            if shift > 0:
                crop = torch.cat([crop[:1].expand(shift, -1), crop[:-shift]], dim=0)
            elif shift < 0:
                crop = torch.cat([crop[-shift:], crop[-1:].expand(-shift, -1)], dim=0)
            crop = crop.clamp_min(math.log(audio.LOG_FLOOR))
        crops.append(crop)
    return torch.stack(crops)[:, None], torch.tensor([ds.labels[i] for i in idx.tolist()])


def _inpaint_mask(batch: int, width: int, cfg: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    """Masks Tensor[B, 1, 1, W]: half the time none; else a known prefix or suffix."""
    mask = torch.zeros(batch, 1, 1, width)
    for b in range(batch):
        if float(torch.rand((), generator=gen)) >= cfg.p_inpaint:
            continue
        k = int(torch.randint(width // 8, width // 2 + 1, (), generator=gen))
        if float(torch.rand((), generator=gen)) < 0.75:
            mask[b, ..., :k] = 1.0  # known past (continue)
        else:
            mask[b, ..., width - k :] = 1.0
    return mask


def unet_loss(
    model: torch.nn.Module, x0: torch.Tensor, cfg: TrainConfig, gen: torch.Generator
) -> torch.Tensor:
    """v-prediction MSE on the frames the model must invent (all of them when unmasked)."""
    b = x0.shape[0]
    t = torch.rand(b, generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    mask = _inpaint_mask(b, x0.shape[-1], cfg, gen).expand_as(x0)
    pred = model(q_sample(x0, t, noise), x0, mask, t)
    err = (pred - v_target(x0, noise, t)).square()
    weight = 1.0 - 0.9 * mask  # the known frames still count a little
    return (err * weight).sum() / weight.sum()


def optimise(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    loss: torch.Tensor,
    ema: dict[str, torch.Tensor],
    decay: float,
) -> None:
    """One clipped optimiser step, then move the EMA weights ``1 - decay`` toward the model's."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                ema[k].mul_(decay).add_(v.detach(), alpha=1 - decay)
            else:
                ema[k].copy_(v)


def _save_state(
    out: Path, step: int, model, ema, opt, gen, cfg, history, norm, classes, running: float
) -> None:
    """Write the resumable state: tensors in safetensors, the rest in JSON (no pickle)."""
    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        tensors[f"model.{k}"] = v.detach().clone().contiguous()
    for k, v in ema.items():
        tensors[f"ema.{k}"] = v.clone().contiguous()
    opt_state = opt.state_dict()
    for idx, st in opt_state["state"].items():
        for name, val in st.items():
            tensors[f"opt.{idx}.{name}"] = torch.as_tensor(val).clone().contiguous()
    tensors["rng.gen"] = gen.get_state()
    tensors["rng.global"] = torch.get_rng_state()
    tmp = out / (STATE_WEIGHTS + ".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(out / STATE_WEIGHTS)
    meta = {
        "step": step,
        "config": asdict(cfg),
        "param_groups": opt_state["param_groups"],
        "history": history,
        "norm": asdict(norm),
        "classes": classes,
        "running_loss": running,
    }
    (out / STATE_JSON).write_text(json.dumps(meta) + "\n")


def _load_state(out: Path, model, ema, opt, gen) -> dict[str, Any]:
    meta = json.loads((out / STATE_JSON).read_text())
    tensors = load_file(str(out / STATE_WEIGHTS))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    for k in ema:
        ema[k].copy_(tensors[f"ema.{k}"])
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    gen.set_state(tensors["rng.gen"])
    torch.set_rng_state(tensors["rng.global"])
    return meta


@torch.inference_mode()
def _validate_unet(model, ds: Dataset, cfg: TrainConfig, norm: MelNorm) -> float:
    """Mean v-loss on fixed crops, times and noise: comparable between runs."""
    if not ds.mels:
        return float("nan")
    gen = torch.Generator().manual_seed(1234)
    vcfg = TrainConfig(**{**asdict(cfg), "batch_size": 16, "p_inpaint": 0.0})
    losses = []
    for _ in range(4):
        mel, _ = sample_batch(ds, vcfg, gen, augment=False)
        losses.append(float(unet_loss(model, norm.encode(mel), vcfg, gen)))
    return float(np.mean(losses))


@torch.inference_mode()
def _validate_tagger(model, ds: Dataset, cfg: TrainConfig, norm: MelNorm) -> dict[str, float]:
    """Window accuracy on fixed validation crops (pieces never trained on)."""
    if not ds.mels:
        return {}
    gen = torch.Generator().manual_seed(1234)
    vcfg = TrainConfig(**{**asdict(cfg), "batch_size": 64})
    correct = total = 0
    loss = 0.0
    for _ in range(4):
        mel, y = sample_batch(ds, vcfg, gen, augment=False)
        logits = model(norm.encode(mel))
        loss += float(F.cross_entropy(logits, y)) / 4
        correct += int((logits.argmax(1) == y).sum())
        total += len(y)
    return {"val_accuracy": round(correct / total, 4), "val_loss": round(loss, 4)}


def train(
    cfg: TrainConfig,
    data: Sequence[str | Path],
    out_dir: str | Path,
    *,
    resume: bool = False,
    validation: Sequence[str | Path] | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> Path:
    """Train ``cfg.steps`` steps on ``data`` and write a checkpoint into out_dir.

    The final (EMA, for the U-Net) weights go to ``out_dir/model.safetensors``
    + ``config.json``; the resumable state to ``train_state.*`` every
    ``checkpoint_every`` steps and on cancellation (then
    ``generator.engine.errors.Cancelled`` is raised). With ``resume`` the run
    continues from that state; the config must match. ``cache_dir``: read mels
    from (and fill) a mel cache instead of holding every decoded piece.
    A tagger trained on a corpus is then judged per piece on its held-out
    splits (see ``tagger_eval``).
    """
    if cfg.arch not in checkpoints.BUILDERS:
        raise TrainingError(f"Unknown architecture {cfg.arch!r}.")
    if cfg.steps < 1:
        raise TrainingError("Training needs at least one step.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if progress:
        progress("reading audio", 0.0)
    prior = None
    if resume and (out / STATE_JSON).exists():
        prior = json.loads((out / STATE_JSON).read_text())
        saved = {k: v for k, v in prior["config"].items() if k != "steps"}
        mine = {k: v for k, v in json.loads(json.dumps(asdict(cfg))).items() if k != "steps"}
        if saved != mine:
            raise TrainingError("The saved training state was made with another configuration.")
    classes = prior["classes"] if prior else None
    cache = MelCache(cache_dir) if cache_dir is not None else None
    ds = load_data(data, cfg.arch, classes=classes, cache=cache)
    if not ds.mels:
        raise TrainingError("No usable audio in the training data.")
    if cfg.arch == "tagger" and len(ds.classes) < 2:
        raise TrainingError("The tagger needs at least two labels (folders or manifest tags).")
    val = load_data(
        validation if validation is not None else data,
        cfg.arch,
        split="validation",
        classes=ds.classes,
        cache=cache,
    )
    norm = MelNorm(**prior["norm"]) if prior else mel_stats(ds)

    hparams = {**DEFAULT_HPARAMS[cfg.arch], **cfg.hparams}
    if cfg.arch == "tagger":
        hparams["n_classes"] = len(ds.classes)
    torch.manual_seed(cfg.seed)
    model = checkpoints.build(cfg.arch, hparams).train()
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history: list[list[float]] = []
    step = 0
    running = 0.0  # the smoothed loss shown and saved; a resume goes on from the saved one
    if prior:
        meta = _load_state(out, model, ema, opt, gen)
        step, history, running = meta["step"], meta["history"], meta.get("running_loss", 0.0)
        log.info("resuming %s at step %d", cfg.arch, step)

    def save_state() -> None:
        _save_state(out, step, model, ema, opt, gen, cfg, history, norm, ds.classes, running)

    while step < cfg.steps:
        if cancelled is not None and cancelled():
            save_state()
            from generator.engine.errors import Cancelled as CancelledError

            raise CancelledError(f"Training was cancelled at step {step}; resume to go on.")
        # Warm up the learning rate, then decay it along a cosine to a tenth.
        warm = min(1.0, (step + 1) / 100)
        decay = 0.55 + 0.45 * math.cos(math.pi * step / max(cfg.steps, 1))
        for group in opt.param_groups:
            group["lr"] = cfg.lr * warm * decay
        mel, y = sample_batch(ds, cfg, gen)
        x = norm.encode(mel)
        if cfg.arch == "unet":
            loss = unet_loss(model, x, cfg, gen)
        else:
            loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        optimise(model, opt, loss, ema, min(cfg.ema_decay, (1 + step) / (10 + step)))
        step += 1
        loss_value = loss.item()
        running = loss_value if step == 1 else 0.98 * running + 0.02 * loss_value
        history.append([step, round(loss_value, 5)])
        if progress:
            progress(
                f"training step {step} of {cfg.steps}, loss {running:.4f}",
                step / cfg.steps,
                step=step,
                loss=running,
            )
        if step % 50 == 0:
            log.info(
                "step %d/%d loss %.4f (%.0f s)",
                step,
                cfg.steps,
                running,
                time.monotonic() - started,
            )
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            save_state()

    final = checkpoints.build(cfg.arch, hparams)
    final.load_state_dict(ema if cfg.arch == "unet" else model.state_dict())
    final.eval()
    metrics: dict[str, Any] = {"final_train_loss": round(running, 5), "steps": step}
    if cfg.arch == "unet":
        metrics["val_loss"] = round(_validate_unet(final, val, cfg, norm), 5)
    else:
        metrics.update(_validate_tagger(final, val, cfg, norm))
    extra: dict[str, Any] = {"mel_mean": norm.mean, "mel_std": norm.std, "window": cfg.window}
    if cfg.arch == "tagger":
        extra["classes"] = ds.classes
        test = load_data(data, "tagger", split="test", classes=ds.classes, cache=cache)
        if val.mels and test.mels:
            from generator.engine import tagger_eval

            judged = tagger_eval.judge(final, norm, cfg.window, val, test)
            extra["threshold"] = judged["threshold"]
            metrics["pieces"] = judged
    metrics["train_seconds_this_run"] = round(time.monotonic() - started, 1)
    provenance = {
        "train_seconds_of_audio": round(ds.seconds, 1),
        "train_pieces": len(ds.names),
        "validation_pieces": len(val.names),
        "validation": [p["piece"] for p in val.provenance],
        "sources": sorted({(p["source"], p["licence"]) for p in ds.provenance}),
        "pieces": ds.provenance,
        "train_config": asdict(cfg),
    }
    checkpoints.save(
        final,
        out,
        arch=cfg.arch,
        hparams=hparams,
        provenance=provenance,
        metrics=metrics,
        extra=extra,
    )
    if progress:
        progress("saved", 1.0)
    log.info("trained %s: %s", cfg.arch, metrics)
    return out
