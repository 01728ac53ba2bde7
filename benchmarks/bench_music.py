"""Print what the music network costs on this CPU: a training step and a 10 s dream.

    python benchmarks/bench_music.py [--threads 1] [--repeats 3]

Random weights at the default size (speed does not depend on training).
Reports wall and CPU seconds, with bf16 autocast on and off.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from generator.engine import checkpoints, modes, music_training, precision  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hp = music_training.DEFAULT_HPARAMS
    net = checkpoints.build("musicnet", hp).train()
    params = sum(p.numel() for p in net.parameters())
    print(f"musicnet: {params:,} parameters, bf16 native: {precision.bf16_is_fast()}")
    cfg = music_training.MusicTrainConfig(steps=1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, 1, hp["n_mels"], cfg.window)
    frames, style = torch.randn(8, 5, cfg.window), torch.zeros(8, hp["n_styles"])
    opt = torch.optim.AdamW(net.parameters(), 1e-4)
    for bf16 in (True, False):
        c = music_training.MusicTrainConfig(steps=1, bf16=bf16)

        def step(c=c) -> None:
            loss = music_training.loss_on(net, x, frames, style, c, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()

        wall, cpu = timed(step, args.repeats)
        print(
            f"train step 8 x {cfg.window} frames, bf16={bf16}: {wall:.2f} s wall, {cpu:.2f} s CPU"
        )
    with tempfile.TemporaryDirectory() as tmp:
        checkpoints.save(
            net.eval(), tmp, arch="musicnet", hparams=hp,
            extra={"mel_mean": -5.0, "mel_std": 3.0, "window": cfg.window,
                   "styles": ["orchestral"] * hp["n_styles"]},
        )  # fmt: skip
        ckpt = checkpoints.load(tmp)
        for styles in ((), ("orchestral",)):
            p = modes.Params(seconds=10.0, seed=1, styles=styles)
            wall, cpu = timed(lambda p=p: modes.generate("dream", [], p, model=ckpt), args.repeats)
            guided = "guided" if styles else "unguided"
            print(f"dream 10 s, 12 steps, {guided}: {wall:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
