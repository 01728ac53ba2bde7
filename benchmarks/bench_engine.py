"""Engine speed and quality: the vocoder against librosa, and the training-free modes.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_engine.py [--clip PATH] [--clip2 PATH] [--quick]
    .venv/bin/python benchmarks/bench_engine.py --quality     # variation quality against steps
    .venv/bin/python benchmarks/bench_engine.py --precision   # float32 against bf16 autocast

Audio is at the engine's parameters (44,100 Hz, n_fft 2048, hop 512, 160 mel
bands). The vocoder and librosa's mel_to_audio invert the same mel power
spectrogram; both are scored by spectral convergence against the original
magnitudes and by a multi-resolution STFT distance against the original audio.

Every case runs in a fresh subprocess, so its peak memory (RSS high-water mark
from resource.getrusage) and its cold first call are its own. A case first
times one cold call (imports done, caches empty), then, as a worker would after
``warm_up()``, times warm calls and reports the real-time factor (seconds of
audio per second of wall time). Prints one JSON line per case and a Markdown
table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDIO = REPO.parent / "shared" / "data" / "audio"
DEFAULT_CLIP = AUDIO / "brahms_hungarian_dance_5.ogg"
DEFAULT_CLIP2 = AUDIO / "macleod_vibe_ace.ogg"
# A 44.1 kHz stereo recording: the "variation stereo" case measures the cost of keeping the image.
STEREO_CLIP = AUDIO / "macleod_vibe_ace_44k_stereo.ogg"


def _fit(samples, seconds: float):
    """Cut or loop a clip to ``seconds``: float32[T]."""
    import numpy as np

    from generator.engine import audio

    length = round(seconds * audio.SAMPLE_RATE)
    reps = -(-length // len(samples))
    return np.tile(samples, reps)[:length].copy()


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(call, repeats: int):
    """Median wall time, median CPU time (all threads) and the last result of warm calls.

    CPU time is the figure to read when other work shares the cores: wall time
    then measures the queue for the CPU as much as the code.
    """
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2], out


def _case(name: str, seconds: float, clip: str, clip2: str, repeats: int) -> dict:
    """Run one case in this (fresh) process and return its figures."""
    start = time.perf_counter()
    import torch  # the parent set OMP_WAIT_POLICY for us, as generator/__init__ would

    from generator.engine import audio, modes, vocoder

    imported = time.perf_counter() - start
    source = audio.load(clip)
    result: dict = {"case": name, "seconds": seconds, "import_s": round(imported, 3)}

    if name in ("vocoder", "librosa"):
        signal = _fit(source, seconds)
        reference = vocoder.magnitude(signal)
        mel_power = torch.from_numpy(audio.mel_filterbank()) @ reference.square()

        if name == "vocoder":

            def call():
                gen = torch.Generator().manual_seed(0)
                return vocoder.log_mel_to_audio(mel_power.log()[None], len(signal), generator=gen)[
                    0
                ]
        else:
            import librosa
            import numpy as np

            def call():
                np.random.seed(0)
                return librosa.feature.inverse.mel_to_audio(
                    mel_power.numpy(),
                    sr=audio.SAMPLE_RATE,
                    n_fft=audio.N_FFT,
                    hop_length=audio.HOP,
                    length=len(signal),
                )

        cold_start = time.perf_counter()
        out = call()
        result["cold_s"] = round(time.perf_counter() - cold_start, 3)
        wall, cpu, out = _timed(call, repeats)
        result["spectral_convergence"] = round(vocoder.spectral_convergence(out, reference), 4)
        result["mrstft"] = round(vocoder.multi_resolution_stft_distance(out, signal), 4)
    else:
        if name == "variation stereo":
            name, clips = "variation", [audio.load(STEREO_CLIP, stereo=True)]
        else:
            clips = [source] if name == "variation" else [source, audio.load(clip2)]
        params = modes.Params(seconds=seconds, seed=7, strength=0.5)
        cold_start = time.perf_counter()
        if seconds <= 10:
            modes.generate(name, clips, params)
            result["cold_s"] = round(time.perf_counter() - cold_start, 3)
        else:
            modes.warm_up()
        wall, cpu, _ = _timed(lambda: modes.generate(name, clips, params), repeats)
    result["wall_s"] = round(wall, 3)
    result["cpu_s"] = round(cpu, 3)
    result["rtf"] = round(seconds / wall, 2)
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    return result


def _texture_scorer(source):
    """A function scoring audio against ``source`` on a texture bank the optimiser never saw.

    (a) the Gram distance under one wide bank of 512 filters of width 11, like
    Ulyanov and Lebedev's, (b) the RMS distance between long-term mel spectra
    (dB-like natural-log units), (c) the roughness ratio (std of frame-to-frame
    change, output over source).
    """
    import torch

    from generator.engine import audio, texture

    held_out = texture.TextureConfig(channels=512, kernel=11, dilations=(1,), weights_seed=99)

    def normalised(samples):
        spec = audio.log_mel(torch.from_numpy(samples))
        return ((spec - spec.mean()) / spec.std())[None]

    reference = texture.analyse(normalised(source), held_out)

    def score(samples) -> dict:
        mine = texture.analyse(normalised(samples), held_out)
        pairs = zip(mine.grams, reference.grams, strict=True)
        gram = float(sum((a - b).square().sum() / b.square().sum() for a, b in pairs))
        mel = float((mine.band_mean - reference.band_mean).square().mean().sqrt())
        rough = float(mine.delta_std.mean() / reference.delta_std.mean())
        return {
            "gram_held_out": round(gram, 4),
            "mel_dist": round(mel, 3),
            "rough": round(rough, 2),
        }

    return score


def _quality(clip: str, other: str) -> None:
    """What fewer optimiser steps cost: variation at 10 s with 15, 50 (default) and 200 steps.

    Scored by ``_texture_scorer`` against the source; a different piece of
    music is scored too, as a yardstick.
    """
    from generator.engine import audio, modes

    source = audio.load(clip)
    score = _texture_scorer(source)
    print(
        json.dumps({"case": "another piece", **score(audio.load(other)[: 10 * audio.SAMPLE_RATE])})
    )
    for steps in (15, 50, 200):
        params = modes.Params(seconds=10.0, seed=7, steps=steps)
        t0 = time.perf_counter()
        out = modes.generate("variation", [source], params)
        wall = time.perf_counter() - t0
        print(
            json.dumps({"case": f"variation {steps} steps", "wall_s": round(wall, 2), **score(out)})
        )


def _precision(clip: str) -> None:
    """Where bf16 autocast pays on this CPU: the U-Net sampler and the texture optimiser.

    Each case runs in float32 and under ``torch.autocast("cpu", dtype=torch.bfloat16)``
    with the same seed: wall and CPU time, and how far the bf16 output is from
    the float32 one (mean absolute log-mel difference) beside how far another
    seed moves it, so "keeps quality" is a ratio, not a feeling. The texture
    case also gives the held-out Gram distance of the variation to its source.
    """
    import torch

    from generator.engine import audio, modes, precision, texture

    source = audio.load(clip)[: 10 * audio.SAMPLE_RATE]
    score = _texture_scorer(source)

    def distance(a, b) -> float:
        return round(float((audio.log_mel(a) - audio.log_mel(b)).abs().mean()), 4)

    plain_loss = texture._loss

    def bf16_loss(*args, **kwargs):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return plain_loss(*args, **kwargs).float()

    native_autocast = precision.autocast

    def float32_only(enabled: bool = True):
        return native_autocast(False)

    def run(mode: str, seed: int, bf16: bool):
        # The U-Net runs under precision.autocast; the texture loss is wrapped here to try it.
        precision.autocast = native_autocast if bf16 else float32_only
        texture._loss = bf16_loss if (bf16 and mode == "variation") else plain_loss
        clips = [] if mode == "dream" else [source]
        params = modes.Params(seconds=10.0, seed=seed, strength=0.7)
        wall, cpu = time.perf_counter(), time.process_time()
        out = modes.generate(mode, clips, params)
        return out, time.perf_counter() - wall, time.process_time() - cpu

    native = precision.bf16_is_fast()
    print(json.dumps({"cpu_has_native_bf16": native}))
    for mode in ("remix", "dream", "variation"):
        run(mode, 1, False)  # warm
        f32, wall32, cpu32 = run(mode, 1, False)
        b16, wall16, cpu16 = run(mode, 1, True)
        other, _, _ = run(mode, 2, False)
        row = {
            "case": mode,
            "fp32_wall_s": round(wall32, 2),
            "bf16_wall_s": round(wall16, 2),
            "fp32_cpu_s": round(cpu32, 2),
            "bf16_cpu_s": round(cpu16, 2),
            "bf16_vs_fp32": distance(b16, f32),
            "other_seed_vs_fp32": distance(other, f32),
        }
        if mode == "variation":
            row |= {
                "gram_fp32": score(f32)["gram_held_out"],
                "gram_bf16": score(b16)["gram_held_out"],
            }
        print(json.dumps(row), flush=True)


def _run_child(name: str, seconds: float, args: argparse.Namespace, repeats: int) -> dict:
    env = {
        **os.environ,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
        "PYTHONPATH": str(REPO),
    }
    cmd = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--seconds",
        str(seconds),
        "--clip",
        str(args.clip),
        "--clip2",
        str(args.clip2),
        "--repeats",
        str(repeats),
    ]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(rows: list[dict]) -> str:
    lines = [
        "| case | output | wall (s) | RTF | CPU (s) | cold first call (s) | peak RSS (MB) | SC "
        "| MR-STFT |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['seconds']:g} s | {r['wall_s']} | {r['rtf']}x | {r['cpu_s']} | "
            f"{r.get('cold_s', '-')} | {r['peak_rss_mb']} | {r.get('spectral_convergence', '-')} | "
            f"{r.get('mrstft', '-')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--clip2", type=Path, default=DEFAULT_CLIP2)
    parser.add_argument("--quick", action="store_true", help="10 s cases only")
    parser.add_argument("--quality", action="store_true", help="quality against optimiser steps")
    parser.add_argument(
        "--precision", action="store_true", help="float32 against bf16 autocast, speed and quality"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # As generator/__init__ would, before anything here imports torch.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.path.insert(0, str(REPO))
    if args.quality:
        _quality(str(args.clip), str(args.clip2))
        return
    if args.precision:
        _precision(str(args.clip))
        return
    if args.child:
        result = _case(args.child, args.seconds, str(args.clip), str(args.clip2), args.repeats)
        print(json.dumps(result))  # the parent reads this line
        return

    load_before = os.getloadavg()[0]
    lengths = [10.0] if args.quick else [10.0, 60.0]
    plan = [("librosa", 10.0, 3), *((("vocoder", s, 5 if s <= 10 else 3)) for s in lengths)]
    plan += [(mode, s, 3 if s <= 10 else 1) for mode in ("variation", "style") for s in lengths]
    plan += [("variation stereo", lengths[-1], 1)]
    rows = []
    for name, seconds, repeats in plan:
        row = _run_child(name, seconds, args, repeats)
        print(json.dumps(row), flush=True)
        rows.append(row)
    ours = next(r for r in rows if r["case"] == "vocoder" and r["seconds"] == 10.0)
    theirs = next(r for r in rows if r["case"] == "librosa")
    print()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(
        f"vocoder vs librosa mel_to_audio at 10 s: "
        f"{theirs['wall_s'] / ours['wall_s']:.1f}x faster in wall time, "
        f"{theirs['cpu_s'] / ours['cpu_s']:.1f}x in CPU time, "
        f"spectral convergence {ours['spectral_convergence']} vs {theirs['spectral_convergence']}, "
        f"multi-resolution STFT distance {ours['mrstft']} vs {theirs['mrstft']}"
    )
    print()
    print(_table(rows))


if __name__ == "__main__":
    main()
