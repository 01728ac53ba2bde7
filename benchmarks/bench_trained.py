"""Time the trained networks against their targets on this CPU; prints one line per figure.

    .venv/bin/python benchmarks/bench_trained.py [--steps N] [--threads T]

Targets (issue 4): remix of 10 s in <= 5 s wall at default steps; continue by
60 s in <= 60 s; tagger over a 3-minute clip < 1 s; one worker with every
default model loaded < 2 GB resident. Uses the committed default checkpoints
and the real recordings in ../shared/data/audio. Each figure is the best of
``--repeat`` runs, after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

# Threads sleep rather than spin while waiting, as in the engine (see generator/__init__.py);
# it must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.engine import audio, checkpoints, modes, tagging, vocoder  # noqa: E402
from generator.engine.diffusion_modes import DEFAULT_STEPS  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "audio"


def rss_mb() -> float:
    """Current resident memory of this process in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def best(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the mode's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sr = audio.SAMPLE_RATE
    base = rss_mb()
    unet = checkpoints.default("unet")
    tagger = checkpoints.default("tagger")
    vocoder.warm_up()
    loaded = rss_mb()
    brahms = audio.load(SHARED / "brahms_hungarian_dance_5.ogg")
    vibe = audio.load(SHARED / "macleod_vibe_ace.ogg")
    steps = args.steps
    print(f"threads {args.threads}, default steps {DEFAULT_STEPS}, steps asked {steps}")
    print(f"U-Net {unet.config['parameters']:,} parameters; tagger {tagger.config['parameters']:,}")

    def run(mode, clips, seconds, strength=0.5):
        params = modes.Params(seconds=seconds, seed=0, strength=strength, steps=steps)
        return lambda: modes.generate(mode, clips, params, model=unet)

    t = best(run("remix", [brahms[: 10 * sr]], 10.0), args.repeat)
    print(f"remix 10 s, strength 0.5: {t:.2f} s wall, {10 / t:.1f}x real time (target <= 5 s)")
    t = best(run("remix", [brahms[: 10 * sr]], 10.0, 1.0), args.repeat)
    print(f"remix 10 s, strength 1.0: {t:.2f} s wall, {10 / t:.1f}x real time")
    t = best(run("dream", [], 10.0), args.repeat)
    print(f"dream 10 s: {t:.2f} s wall, {10 / t:.1f}x real time")
    t = best(run("interpolate", [brahms[: 10 * sr], vibe[: 10 * sr]], 10.0), args.repeat)
    print(f"interpolate 10 s: {t:.2f} s wall, {10 / t:.1f}x real time")
    clip = vibe[: 10 * sr]
    t = best(run("continue", [clip], 70.0), 1)
    print(f"continue a 10 s clip by 60 s: {t:.2f} s wall, {60 / t:.1f}x real time (target <= 60 s)")
    track = np.tile(vibe, 3)[: 180 * sr]
    t = best(lambda: tagging.tag(track, tagger), args.repeat)
    print(f"tagger over a 3-minute clip: {t:.3f} s (target < 1 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"memory: {base:.0f} MiB before models, {loaded:.0f} MiB with every default model "
        f"loaded, peak {peak:.0f} MiB over all the runs above (target < 2048 MiB)"
    )


if __name__ == "__main__":
    main()
