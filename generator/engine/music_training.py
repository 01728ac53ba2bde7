"""Train the music network (``musicnet``) on the corpus, resumably, in the background.

One step: random 544-frame crops from the mel cache (music_data), their beat,
bar and position channels, their style label (dropped with probability
``p_uncond`` so classifier-free guidance has an unconditioned model to push
against), an inpainting mask (none, a known past, a known future, or a hole
with both sides known: dream, continue and "replace a section" are one
network), and v-prediction MSE under bf16 autocast where the CPU has it.

Everything random is drawn from one seeded torch generator whose state is
saved with the weights, EMA, optimiser and loss history in
``train_state.*`` (safetensors and JSON, no pickle), so a run can stop and go
on. Every ``export_every`` steps the EMA weights are written as a loadable
checkpoint (``model.safetensors`` + ``config.json``) into the output folder.
``resume_from_weights`` starts a new run from an existing checkpoint's
weights (training goes on from the shipped model).

The training set may grow while training runs (a cache filled by another
process): every ``refresh_every`` steps the data is re-read from the cache.
No Django imports.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from generator.engine import audio, checkpoints, music_data, precision
from generator.engine.diffusion import MelNorm, q_sample, v_target
from generator.engine.training import (
    STATE_JSON,
    TrainingError,
    _load_state,
    _save_state,
    optimise,
)

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
Cancelled = Callable[[], bool]

ARCH = "musicnet"
DEFAULT_HPARAMS: dict[str, Any] = {
    "n_mels": audio.N_MELS,
    "channels": [32, 64, 128],
    "bottom": 320,
    "dilations": [1, 2, 4, 8, 16, 1, 2, 4],
    "fold": [4, 2],
    "n_styles": len(music_data.STYLES),
    "c_dim": 256,
}


# Fields a resumed run may change: they say how long and how often, not what is learned.
SCHEDULING = ("steps", "checkpoint_every", "export_every", "refresh_every")


@dataclass(frozen=True)
class MusicTrainConfig:
    """How to train; saved with the state so a resume can check it."""

    steps: int
    seed: int = 0
    batch_size: int = 8
    window: int = 544
    lr: float = 3e-4
    warmup: int = 200
    ema_decay: float = 0.999
    p_uncond: float = 0.2
    p_inpaint: float = 0.6
    gain_db: float = 3.0
    transpositions: int = 1
    checkpoint_every: int = 100
    export_every: int = 500
    refresh_every: int = 100
    bf16: bool = True
    hparams: dict[str, Any] = field(default_factory=dict)


def inpaint_mask(batch: int, width: int, p: float, gen: torch.Generator) -> torch.Tensor:
    """Masks Tensor[B, 1, 1, W] (1 = known): none, a known past, a known future or a hole."""
    mask = torch.zeros(batch, 1, 1, width)
    for b in range(batch):
        if float(torch.rand((), generator=gen)) >= p:
            continue
        kind = float(torch.rand((), generator=gen))
        k = int(torch.randint(width // 8, (3 * width) // 4 + 1, (), generator=gen))
        if kind < 0.55:
            mask[b, ..., :k] = 1.0  # continue
        elif kind < 0.7:
            mask[b, ..., width - k :] = 1.0
        else:  # replace a section: both sides known
            hole = int(torch.randint(width // 8, width // 2 + 1, (), generator=gen))
            start = int(torch.randint(0, width - hole + 1, (), generator=gen))
            mask[b] = 1.0
            mask[b, ..., start : start + hole] = 0.0
    return mask


def style_weights(labels: torch.Tensor, n_styles: int) -> torch.Tensor:
    """Style indices Tensor[B] (-1 = none) -> one-hot weights Tensor[B, n_styles]."""
    out = torch.zeros(len(labels), n_styles)
    known = labels >= 0
    out[known, labels[known]] = 1.0
    return out


def loss_on(
    model: torch.nn.Module,
    x0: torch.Tensor,
    frames: torch.Tensor,
    style: torch.Tensor,
    cfg: MusicTrainConfig,
    gen: torch.Generator,
) -> torch.Tensor:
    """v-prediction MSE on the frames to invent (known frames count a tenth)."""
    b = x0.shape[0]
    t = torch.rand(b, generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    mask = inpaint_mask(b, x0.shape[-1], cfg.p_inpaint, gen).expand_as(x0)
    drop = torch.rand(b, generator=gen) < cfg.p_uncond
    style = style * (~drop).float()[:, None]
    with precision.autocast(cfg.bf16):
        pred = model(q_sample(x0, t, noise), x0, mask, t, frames, style)
    err = (pred.float() - v_target(x0, noise, t)).square()
    weight = 1.0 - 0.9 * mask
    return (err * weight).sum() / weight.sum()


@torch.inference_mode()
def validate(
    model: torch.nn.Module, data: music_data.MusicData, cfg: MusicTrainConfig, norm: MelNorm
) -> float:
    """Mean v-loss on fixed crops, times and noise (no masks): comparable between runs."""
    if not data.tracks:
        return float("nan")
    gen = torch.Generator().manual_seed(1234)
    vcfg = MusicTrainConfig(**{**asdict(cfg), "p_inpaint": 0.0, "p_uncond": 0.0})
    losses = []
    for _ in range(4):
        mel, frames, labels = data.sample(8, cfg.window, gen)
        style = style_weights(labels, len(data.styles))
        losses.append(float(loss_on(model, norm.encode(mel), frames, style, vcfg, gen)))
    return sum(losses) / len(losses)


def _load_data(
    items: Sequence[music_data.Entry], cache: music_data.MelCache, cfg: MusicTrainConfig
) -> music_data.MusicData:
    return music_data.MusicData.from_cache(items, cache, cfg.transpositions)


def train(
    cfg: MusicTrainConfig,
    data: Sequence[str | Path],
    out_dir: str | Path,
    *,
    cache_dir: str | Path,
    resume: bool = False,
    resume_from_weights: str | Path | None = None,
    fill_cache: bool = True,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Train ``cfg.steps`` steps (in all, counting a resumed run's) and write the checkpoint.

    ``fill_cache`` analyses every missing piece first; without it training
    starts on what the cache already holds (another process fills it).
    """
    if cfg.steps < 1:
        raise TrainingError("Training needs at least one step.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    items = music_data.entries(data, "train")
    val_items = music_data.entries(data, "validation")
    if not items:
        raise TrainingError("No music to train on in the training data.")
    cache = music_data.MelCache(cache_dir)
    if fill_cache:
        cache.fill(items, cfg.transpositions, progress, cancelled)
        cache.fill(val_items, 0, None, cancelled)
    ds = _load_data(items, cache, cfg)
    val = music_data.MusicData.from_cache(val_items, cache, 0)
    if not ds.tracks:
        raise TrainingError("None of the training pieces could be analysed yet.")

    prior = None
    if resume and (out / STATE_JSON).exists():
        prior = json.loads((out / STATE_JSON).read_text())
        saved = {k: v for k, v in prior["config"].items() if k not in SCHEDULING}
        mine = json.loads(json.dumps(asdict(cfg)))
        mine = {k: v for k, v in mine.items() if k not in SCHEDULING}
        if saved != mine:
            raise TrainingError("The saved training state was made with another configuration.")
    hparams = {**DEFAULT_HPARAMS, **cfg.hparams}
    torch.manual_seed(cfg.seed)
    model = checkpoints.build(ARCH, hparams).train()
    norm = MelNorm(*ds.stats())
    if resume_from_weights is not None and not prior:
        start = checkpoints.load(resume_from_weights)
        if start.arch != ARCH or start.config["hparams"] != hparams:
            raise TrainingError(
                f"{resume_from_weights} holds a {start.arch!r} with other hyper-parameters; "
                "it cannot seed this run."
            )
        model.load_state_dict(start.model.state_dict())
        norm = MelNorm(start.extra["mel_mean"], start.extra["mel_std"])
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history: list[list[float]] = []
    step, running = 0, 0.0
    if prior:
        meta = _load_state(out, model, ema, opt, gen)
        step, history, running = meta["step"], meta["history"], meta.get("running_loss", 0.0)
        norm = MelNorm(**meta["norm"])
        log.info("resuming musicnet at step %d", step)

    def save_state() -> None:
        _save_state(out, step, model, ema, opt, gen, cfg, history, norm, list(ds.styles), running)

    def export() -> None:
        final = checkpoints.build(ARCH, hparams)
        final.load_state_dict(ema)
        metrics = {
            "steps": step,
            "train_loss": round(running, 5),
            "val_loss": _finite(validate(final, val, cfg, norm)),
        }
        provenance = {
            "train_seconds_of_audio": round(ds.seconds, 1),
            "train_pieces": len({t.piece for t in ds.tracks}),
            "validation": sorted({t.piece for t in val.tracks}),
            "licences": sorted({e.licence for e in items if e.licence}),
            "train_config": asdict(cfg),
        }
        extra = {
            "mel_mean": norm.mean,
            "mel_std": norm.std,
            "window": cfg.window,
            "styles": list(ds.styles),
        }
        checkpoints.save(
            final,
            out,
            arch=ARCH,
            hparams=hparams,
            provenance=provenance,
            metrics=metrics,
            extra=extra,
        )
        log.info("exported step %d: %s", step, metrics)

    while step < cfg.steps:
        if cancelled is not None and cancelled():
            save_state()
            from generator.engine.errors import Cancelled as CancelledError

            raise CancelledError(f"Training was cancelled at step {step}; resume to go on.")
        if step and step % cfg.refresh_every == 0:
            ds = _load_data(items, cache, cfg)
        warm = min(1.0, (step + 1) / cfg.warmup)
        decay = 0.55 + 0.45 * math.cos(math.pi * min(step / max(cfg.steps, 1), 1.0))
        for group in opt.param_groups:
            group["lr"] = cfg.lr * warm * decay
        mel, frames, labels = ds.sample(cfg.batch_size, cfg.window, gen, cfg.gain_db)
        style = style_weights(labels, len(ds.styles))
        loss = loss_on(model, norm.encode(mel), frames, style, cfg, gen)
        optimise(model, opt, loss, ema, min(cfg.ema_decay, (1 + step) / (10 + step)))
        step += 1
        value = loss.item()
        running = value if step == 1 else 0.98 * running + 0.02 * value
        history.append([step, round(value, 5)])
        if progress:
            progress(f"training step {step} of {cfg.steps}, loss {running:.4f}", step / cfg.steps)
        if step % 25 == 0:
            log.info(
                "step %d loss %.4f (%d tracks, %.0f s)",
                step,
                running,
                len(ds.tracks),
                time.monotonic() - started,
            )
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            save_state()
        if step % cfg.export_every == 0 or step == cfg.steps:
            export()
    if progress:
        progress("saved", 1.0)
    return out


def _finite(value: float) -> float | None:
    """A figure for JSON: rounded, or None where there was nothing to measure."""
    return round(value, 5) if math.isfinite(value) else None
