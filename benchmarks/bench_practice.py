"""Practice-piece speed: write, engrave and render a 16-bar piece, stage by stage.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_practice.py [--bars 16] [--runs 5] [--level 3]

Uses the shipped melody_cnn checkpoint and one torch thread (what the web
process uses). The first run is reported apart (cold: imports, model load,
verovio's fonts); the median of the warm runs is the figure that counts.
Stages: compose (the CNN writes the melody), engrave (music21 score, MusicXML,
verovio SVG and timemap, MIDI), audio (FluidSynth at 44.1 kHz), flac (encode),
pdf (cairosvg). "written and engraved" is compose + engrave; "all files" adds
the rest. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STAGES = ("compose", "engrave", "audio", "flac", "pdf")


def run_once(bars: int, level: int, seed: int) -> dict[str, float]:
    from generator.engine import practice
    from generator.engine.practice import compose, engrave

    times: dict[str, float] = {}
    t = time.perf_counter()
    writer = practice.load("melody_cnn").model
    piece = compose.compose(writer, [compose.Request("folk", level, bars, "violin", seed)])[0]
    times["compose"] = time.perf_counter() - t
    t = time.perf_counter()
    out = engrave.engrave(piece)
    times["engrave"] = time.perf_counter() - t
    t = time.perf_counter()
    samples = engrave.render_audio(out.midi)
    times["audio"] = time.perf_counter() - t
    t = time.perf_counter()
    engrave.encode_audio(samples)
    times["flac"] = time.perf_counter() - t
    t = time.perf_counter()
    engrave.pdf(out.svg)
    times["pdf"] = time.perf_counter() - t
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--level", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    cold = run_once(args.bars, args.level, 0)
    warm = [run_once(args.bars, args.level, i + 1) for i in range(args.runs)]
    med = {s: statistics.median(r[s] for r in warm) for s in STAGES}
    load = os.getloadavg()[0]
    print(f"{args.bars} bars, level {args.level}, {os.cpu_count()} CPUs, load {load:.1f}, "
          f"{platform.processor() or platform.machine()}, {args.runs} warm runs")  # fmt: skip
    print("| Stage | Cold (s) | Warm median (s) |")
    print("|---|---|---|")
    for s in STAGES:
        print(f"| {s} | {cold[s]:.2f} | {med[s]:.2f} |")
    written = med["compose"] + med["engrave"]
    print(f"| written and engraved | {cold['compose'] + cold['engrave']:.2f} | {written:.2f} |")
    print(f"| all files | {sum(cold.values()):.2f} | {sum(med.values()):.2f} |")


if __name__ == "__main__":
    main()
