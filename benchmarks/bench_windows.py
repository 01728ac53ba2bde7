"""Peak memory and speed of remix, interpolate and dream at 10 s and 60 s, windowed or in one pass.

    .venv/bin/python benchmarks/bench_windows.py [--steps N] [--seconds 10 60]

Each case runs in a fresh process: the shipped U-Net is loaded and the vocoder
warmed, then the resident size is noted and one generation runs; the figure is
the peak resident size (getrusage high-water mark) above that baseline, so it
is what the generation itself needed. "one pass" sets the denoising window
and the clip analysis wider than any output, which is how these modes ran
before they were windowed (the vocoder inverts the whole spectrogram anyway).
The vocoder alone (log-mel of the audio, then Griffin-Lim) is measured the
same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDIO = REPO.parent / "shared" / "data" / "audio"
MODES = ("remix", "interpolate", "dream", "vocoder")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _case(mode: str, seconds: float, windowed: bool, steps: int) -> dict:
    """Run one case in this (fresh) process and return its figures."""
    import resource

    import numpy as np
    import torch

    from generator.engine import audio, checkpoints, diffusion_modes, modes, vocoder

    if not windowed:  # the network and the mel analysis in one pass, as before windows
        diffusion_modes.REPAINT_WIDTH = diffusion_modes.MEL_BLOCK = 10**9
    unet = checkpoints.default("unet")
    vocoder.warm_up()
    sr = audio.SAMPLE_RATE
    length = round(seconds * sr)
    brahms = np.resize(audio.load(AUDIO / "brahms_hungarian_dance_5.ogg"), length)
    vibe = np.resize(audio.load(AUDIO / "macleod_vibe_ace.ogg"), length)
    clips = {"remix": [brahms], "interpolate": [brahms, vibe], "dream": []}.get(mode)
    base = _rss_mb()
    start = time.perf_counter()
    if mode == "vocoder":
        gen = torch.Generator().manual_seed(0)
        vocoder.log_mel_to_audio(audio.log_mel(brahms), length, generator=gen)
    else:
        params = modes.Params(seconds=seconds, seed=0, strength=0.5, steps=steps)
        modes.generate(mode, clips, params, model=unet)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "seconds": seconds,
        "windowed": windowed,
        "wall_s": round(wall, 2),
        "rtf": round(seconds / wall, 1),
        "peak_above_base_mb": round(peak - base, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the mode's)")
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--case", nargs=3, help=argparse.SUPPRESS)  # mode seconds windowed
    args = parser.parse_args()
    if args.case:
        mode, seconds, windowed = args.case
        print(json.dumps(_case(mode, float(seconds), windowed == "1", args.steps)))
        return
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO)}
    steps = [] if args.steps is None else ["--steps", str(args.steps)]
    print("| mode | output (s) | how | wall (s) | RTF | peak above baseline (MiB) |")
    print("|---|---|---|---|---|---|")
    for mode in args.modes:
        for seconds in args.seconds:
            for windowed in ("1", "0"):
                cmd = [sys.executable, __file__, "--case", mode, str(seconds), windowed, *steps]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                how = "windows" if r["windowed"] else "one pass"
                print(
                    f"| {mode} | {seconds:g} | {how} | {r['wall_s']} | {r['rtf']} "
                    f"| {r['peak_above_base_mb']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
