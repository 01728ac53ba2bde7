"""The audio front end under hostile or heavy input: header limits, bounded decoding memory,
long encodes, the shortest analysable clip, and the MP3 download quality.

Decoding and encoding run in a child process where a crash or a memory peak could
hide: a segfault there fails the test instead of ending the test run, and the
child's own peak resident memory is the figure checked.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from generator.engine import audio
from tests.conftest import REPO, real_recording
from tests.library.helpers import flac_bomb, vorbis_bomb, write_silence

MB = 1024 * 1024


@pytest.fixture
def bomb(tmp_path_factory) -> Path:
    return flac_bomb(tmp_path_factory)


def _run_child(script: str, *args: str) -> dict:
    """Run script in a fresh interpreter; return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"child died with {done.returncode}:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# Decodes argv[1] and reports how far the child's peak resident memory (VmHWM, reset
# just before) rose above its resident memory then, and the peak of what Python and
# numpy allocated (tracemalloc). getrusage's ru_maxrss would not do: Linux carries it
# over from the parent (pytest, hundreds of MB) through fork and exec.
_DECODE_PEAK = """
    import io, json, sys, tracemalloc
    import numpy as np, soundfile as sf
    from generator.engine import audio

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))

    warm = io.BytesIO()
    sf.write(warm, np.zeros((4800, 2), "f4"), 48_000, format="WAV")
    audio.decode(warm)  # loads every library a decode uses
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    tracemalloc.start()
    try:
        decoded = audio.decode(sys.argv[1], max_seconds=600)
        result = {"samples": int(decoded.samples.shape[-1]), "duration": decoded.duration}
    except audio.AudioError as exc:
        result = {"error": str(exc)}
    result["peak_rise"] = status("VmHWM") - before
    result["traced_peak"] = tracemalloc.get_traced_memory()[1]
    print(json.dumps(result))
"""


def test_it_decodes_in_a_fixed_memory_budget_whatever_the_layout(tmp_path):
    # The most the limits let through: 8 channels at 192 kHz. Held whole as float32,
    # these 20 seconds would take 117 MB; the decoder holds one 4 MB block of them.
    path = write_silence(tmp_path / "wide.flac", 192_000, 8, 20, format="FLAC", subtype="PCM_16")
    assert 115 * MB < 8 * 192_000 * 20 * 4
    result = _run_child(_DECODE_PEAK, str(path))
    assert result.get("error") is None, result
    assert result["duration"] == pytest.approx(20.0)
    assert result["samples"] == 20 * audio.SAMPLE_RATE
    assert result["peak_rise"] < 24 * MB, result
    assert result["traced_peak"] < 16 * MB, result


@pytest.mark.slow
def test_it_refuses_the_flac_bomb_before_decoding_it(bomb):
    assert bomb.stat().st_size < 1 * MB
    result = _run_child(_DECODE_PEAK, str(bomb))
    assert "655,350 Hz" in result["error"] and "192,000 Hz" in result["error"]
    assert result["peak_rise"] < 4 * MB and result["traced_peak"] < 1 * MB, result


def test_it_refuses_a_64_channel_vorbis_before_decoding_it(tmp_path):
    result = _run_child(_DECODE_PEAK, str(vorbis_bomb(tmp_path)))
    assert result["error"] == "The audio has 64 channels; at most 8 are accepted."
    assert result["peak_rise"] < 4 * MB and result["traced_peak"] < 1 * MB, result


@pytest.mark.parametrize(
    ("rate", "channels", "fragment"),
    [
        (4_000, 1, "4,000 Hz"),
        (384_000, 1, "384,000 Hz"),
        (44_100, 9, "9 channels"),
    ],
)
def test_it_names_the_limit_a_header_passes(tmp_path, rate, channels, fragment):
    path = write_silence(tmp_path / "odd.wav", rate, channels, 0.1, format="WAV")
    with pytest.raises(audio.UnsupportedLayoutError, match=fragment):
        audio.decode(path)


@pytest.mark.parametrize(("rate", "channels"), [(8_000, 1), (192_000, 8)])
def test_it_accepts_the_limits_themselves(tmp_path, rate, channels):
    path = write_silence(tmp_path / "edge.wav", rate, channels, 0.5, format="WAV")
    assert audio.decode(path).samples.shape[-1] == audio.SAMPLE_RATE // 2


def test_it_resamples_block_by_block_exactly_as_in_one_go(tmp_path, monkeypatch):
    import soxr

    stereo, rate = sf.read(
        real_recording("macleod_vibe_ace_44k_stereo.ogg"), dtype="float32", frames=44_100
    )
    at_48k = soxr.resample(stereo, rate, 48_000, quality="HQ")  # a file that needs resampling
    path = tmp_path / "stereo.wav"
    sf.write(path, at_48k, 48_000, subtype="FLOAT")
    expected = soxr.resample(at_48k, 48_000, audio.SAMPLE_RATE, quality="HQ").T
    monkeypatch.setattr(audio, "DECODE_BLOCK_BYTES", 8 * 1000)  # 1,000 frames a block
    decoded = audio.decode(path)
    assert (decoded.sample_rate, decoded.channels, decoded.frames) == (48_000, 2, len(at_48k))
    assert decoded.samples.shape == expected.shape == (2, 44_100)
    np.testing.assert_allclose(decoded.samples, expected, atol=1e-6)


@pytest.mark.parametrize(("frames", "refused"), [(1_024, True), (1_030, False)])
def test_it_refuses_audio_too_short_to_analyse(tmp_path, frames, refused):
    # At 44.1 kHz, 1,024 frames resample to 512 samples: half an STFT window, too few.
    path = tmp_path / "blip.wav"
    sf.write(path, np.full(frames, 0.3, dtype=np.float32), 44_100)
    if refused:
        with pytest.raises(audio.TooShortError, match="too short"):
            audio.decode(path)
    else:
        samples = audio.load(path)
        assert samples.size > audio.N_FFT // 2
        assert audio.log_mel(samples).shape[0] == audio.N_MELS


# Encodes six minutes of a chord from a WAV master streamed block by block in every
# format (transcode, what a download does), and from memory (encode, what the CLI
# and the worker do) in OGG, whose encoder crashed on one long write.
_ENCODE_LONG = """
    import json, sys
    from pathlib import Path
    import numpy as np
    from generator.engine import audio

    out = Path(sys.argv[1])
    t = np.arange(360 * audio.SAMPLE_RATE) / audio.SAMPLE_RATE
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220, 277, 330)).astype(np.float32)
    (out / "master.wav").write_bytes(audio.encode(chord, "wav"))
    (out / "memory.ogg").write_bytes(audio.encode(chord, "ogg"))
    for fmt in audio.ENCODINGS:
        with open(out / "master.wav", "rb") as master, open(out / f"stream.{fmt}", "wb") as dest:
            audio.transcode(master, dest, fmt)
    print(json.dumps({"ok": True}))
"""


@pytest.mark.slow
def test_it_encodes_six_minutes_in_every_format(tmp_path):
    assert _run_child(_ENCODE_LONG, str(tmp_path)) == {"ok": True}
    names = ["memory.ogg", *(f"stream.{fmt}" for fmt in audio.ENCODINGS)]
    for name in names:
        info = sf.info(tmp_path / name)
        assert info.samplerate == audio.SAMPLE_RATE and info.channels == 1
        assert info.duration == pytest.approx(360, abs=0.1), name


def _lame_vbr_quality(mp3: bytes) -> tuple[bytes, int]:
    """The VBR header's kind (Xing for VBR, Info for CBR) and LAME's VBR quality (V0-V9).

    LAME writes 100 - 10 * V - q in the header's quality field (q, the algorithm
    quality, is below 10).
    """
    at = max(mp3.find(b"Xing"), mp3.find(b"Info"))
    assert at >= 0, "no VBR header"
    flags = struct.unpack(">I", mp3[at + 4 : at + 8])[0]
    assert flags & 8, "no quality field"
    offset = at + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4)
    quality = struct.unpack(">I", mp3[offset : offset + 4])[0]
    return mp3[at : at + 4], (100 - quality) // 10


def test_it_encodes_mp3_at_vbr_quality_2():
    samples = audio.load(real_recording("brahms_hungarian_dance_5.ogg"))[: 20 * audio.SAMPLE_RATE]
    mp3 = audio.encode(samples, "mp3")
    assert _lame_vbr_quality(mp3) == (b"Xing", 2)
    kbits = len(mp3) * 8 / 20 / 1000
    assert kbits > 48  # libsndfile's default (V4) gives about 45 kbit/s on this piece
