"""Decoding memory and speed by input layout, and encoding speed of six minutes per format.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_audio_io.py [--seconds 20]

Each decode case writes a FLAC (or WAV) of a chord with a little noise at one
layout, then decodes it in a fresh subprocess that first decodes a small file
(so every library is loaded) and reports how far its peak resident memory
(VmHWM, reset just before; getrusage's ru_maxrss is inherited from the parent
across exec) rose above its resident memory just before the decode, next to
what the samples would take held whole as float32. Each encode case re-encodes
a six-minute WAV master into one format block by block, as a first download
does. Prints one JSON line per case and a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYOUTS = [(1, 22_050, "WAV"), (2, 44_100, "FLAC"), (8, 48_000, "FLAC"), (8, 192_000, "FLAC")]
FORMATS = ["wav", "flac", "ogg", "mp3"]


def _write(path: Path, channels: int, rate: int, seconds: float, fmt: str) -> None:
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=rate, channels=channels, format=fmt) as f:
        for second in range(int(seconds)):
            t = second + np.arange(rate) / rate
            chord = sum(0.1 * np.sin(2 * np.pi * hz * t) for hz in (220, 277, 330))
            block = chord[:, None] + 0.01 * rng.standard_normal((rate, channels))
            f.write(block.astype(np.float32))


def _decode_case(path: str) -> dict:
    import io

    import numpy as np
    import soundfile as sf

    from generator.engine import audio

    def status(key: str) -> int:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

    warm = io.BytesIO()
    sf.write(warm, np.zeros((4800, 2), "f4"), 48_000, format="WAV")
    audio.decode(warm)
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    start = time.perf_counter()
    decoded = audio.decode(path)
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 3),
        "rtf": round(decoded.duration / wall, 1),
        "peak_rise_mb": round((status("VmHWM") - before) / 2**20, 1),
    }


def _encode_case(master: str, fmt: str) -> dict:
    from generator.engine import audio

    start = time.perf_counter()
    with open(master, "rb") as source, tempfile.TemporaryFile() as out:
        audio.transcode(source, out, fmt)
        size = out.seek(0, 2)
    wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "rtf": round(360 / wall, 1), "kbit_s": round(size / 45_000)}


def _child(*args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", *args]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.child:
        kind, *rest = args.child
        result = _decode_case(*rest) if kind == "decode" else _encode_case(*rest)
        print(json.dumps(result))
        return

    from generator.engine import audio

    decodes, encodes = [], []
    with tempfile.TemporaryDirectory() as folder:
        for channels, rate, fmt in LAYOUTS:
            path = Path(folder) / f"{channels}x{rate}.{fmt.lower()}"
            _write(path, channels, rate, args.seconds, fmt)
            row = {
                "case": f"decode {channels} ch x {rate:,} Hz {fmt}",
                "seconds": args.seconds,
                "whole_float32_mb": round(channels * rate * args.seconds * 4 / 2**20, 1),
                **_child("decode", str(path)),
            }
            print(json.dumps(row))
            decodes.append(row)
        master = Path(folder) / "master.wav"
        _write(master, 1, audio.SAMPLE_RATE, 360, "WAV")
        for fmt in FORMATS:
            row = {"case": f"encode 6 min to {fmt}", **_child("encode", str(master), fmt)}
            print(json.dumps(row))
            encodes.append(row)

    print("\n| input | audio | held whole (MB) | decode (s) | RTF | peak RSS rise (MB) |")
    print("|---|---|---|---|---|---|")
    for r in decodes:
        print(
            f"| {r['case'][7:]} | {r['seconds']:g} s | {r['whole_float32_mb']} | {r['wall_s']} "
            f"| {r['rtf']}x | {r['peak_rise_mb']} |"
        )
    print("\n| format | 6 min encode (s) | RTF | kbit/s |")
    print("|---|---|---|---|")
    for r in encodes:
        print(f"| {r['case'][-4:].strip()} | {r['wall_s']} | {r['rtf']}x | {r['kbit_s']} |")


if __name__ == "__main__":
    main()
