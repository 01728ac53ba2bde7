"""``manage.py generate``: end to end, and nothing written on bad input."""

from __future__ import annotations

import io
import json
from io import StringIO

import numpy as np
import pytest
import soundfile as sf
from django.core.management import CommandError, call_command

from generator.engine import audio
from generator.engine.contract import MAX_SEED
from tests.conftest import real_recording, synth_tone

TRUMPET = "sorohanro_solo_trumpet.ogg"


def generate(*args: str) -> dict:
    stdout = StringIO()
    call_command("generate", *args, stdout=stdout)
    lines = stdout.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_it_writes_a_variation_and_prints_one_json_line(tmp_path):
    out = tmp_path / "var.wav"
    clip = str(real_recording(TRUMPET))
    record = generate("--mode", "variation", "--clip", clip, "--seconds", "2", "--seed", "7",
                      "--steps", "5", "--out", str(out))  # fmt: skip
    assert record["mode"] == "variation" and record["seed"] == 7
    assert record["seconds"] == 2.0 and record["out"] == str(out)
    assert record["wall_s"] > 0 and record["rtf"] > 0
    info = sf.info(out)
    assert (info.format, info.samplerate, info.frames) == ("WAV", 44_100, 2 * 44_100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var.wav"]  # no temporary left over


def test_it_writes_style_in_the_format_asked(tmp_path):
    out = tmp_path / "style.bin"
    a = str(real_recording(TRUMPET))
    b = str(real_recording("brahms_hungarian_dance_5.ogg"))
    generate("--mode", "style", "--clip", a, "--clip2", b, "--seconds", "1.5", "--strength",
             "0.7", "--steps", "3", "--format", "ogg", "--out", str(out))  # fmt: skip
    decoded = audio.decode(out)
    assert decoded.format == "OGG" and abs(decoded.duration - 1.5) < 0.01


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_it_takes_the_format_from_the_suffix(tmp_path, fmt):
    out = tmp_path / f"var.{fmt}"
    generate("--mode", "variation", "--clip", str(real_recording(TRUMPET)), "--seconds", "1",
             "--steps", "2", "--out", str(out))  # fmt: skip
    assert audio.decode(out).format == fmt.upper()


def bad_inputs(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(3 * 22_050, dtype=np.float32), 22_050)
    short = synth_tone(tmp_path / "short.wav", seconds=0.4)
    text = tmp_path / "notes.wav"
    text.write_text("these are not samples")
    good = str(real_recording(TRUMPET))
    return {
        "silent clip": ["--mode", "variation", "--clip", str(silent), "--seconds", "2"],
        "short clip": ["--mode", "variation", "--clip", str(short), "--seconds", "2"],
        "not audio": ["--mode", "variation", "--clip", str(text), "--seconds", "2"],
        "missing file": [
            "--mode",
            "variation",
            "--clip",
            str(tmp_path / "nope.wav"),
            "--seconds",
            "2",
        ],  # fmt: skip
        "zero seconds": ["--mode", "variation", "--clip", good, "--seconds", "0"],
        "too long": ["--mode", "variation", "--clip", good, "--seconds", "301"],
        "unknown mode": ["--mode", "nonsense", "--clip", good, "--seconds", "2"],
        "missing clip2": ["--mode", "style", "--clip", good, "--seconds", "2"],
        "bad strength": [
            "--mode",
            "variation",
            "--clip",
            good,
            "--seconds",
            "2",
            "--strength",
            "2",
        ],  # fmt: skip
    }


@pytest.mark.parametrize(
    "case",
    [
        "silent clip",
        "short clip",
        "not audio",
        "missing file",
        "zero seconds",
        "too long",
        "unknown mode",
        "missing clip2",
        "bad strength",
    ],  # fmt: skip
)
def test_it_fails_in_one_line_and_writes_nothing(tmp_path, case):
    args = bad_inputs(tmp_path)[case]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(CommandError) as caught:
        call_command("generate", *args, "--out", str(out_dir / "x.wav"), stdout=StringIO())
    message = str(caught.value)
    assert message and "\n" not in message
    assert list(out_dir.iterdir()) == []


def test_it_refuses_an_unknown_output_format(tmp_path):
    with pytest.raises(CommandError, match="format"):
        call_command("generate", "--mode", "variation", "--clip", str(real_recording(TRUMPET)),
                     "--seconds", "1", "--out", str(tmp_path / "x.aiff"))  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_it_dreams_a_style_and_replaces_a_section_from_the_command_line(tmp_path):
    from tests.generator.trained_helpers import tiny_musicnet

    model = tmp_path / "musicnet"
    tiny_musicnet(model, window=64)
    out = tmp_path / "dream.wav"
    record = generate("--mode", "dream", "--seconds", "1.5", "--styles", "chiptune",
                      "--guidance", "3", "--tempo", "140", "--steps", "2",
                      "--model", str(model), "--out", str(out))  # fmt: skip
    assert record["mode"] == "dream" and sf.info(out).frames == int(1.5 * 44_100)
    clip = tmp_path / "clip.wav"
    sf.write(clip, audio.load(real_recording(TRUMPET))[: 3 * 44_100], 44_100, subtype="FLOAT")
    out = tmp_path / "replaced.wav"
    generate("--mode", "replace", "--clip", str(clip), "--seconds", "3", "--start", "1",
             "--end", "2", "--steps", "2", "--model", str(model), "--out", str(out))  # fmt: skip
    # Outside the span the file holds the clip as the engine read it, sample for sample.
    same = sf.read(io.BytesIO(audio.encode(audio.load(clip), "wav")), dtype="float32")[0]
    made = sf.read(out, dtype="float32")[0]
    assert np.array_equal(made[:44_100], same[:44_100])
    assert np.array_equal(made[2 * 44_100 :], same[2 * 44_100 :])
    assert not np.array_equal(made[44_100 : 2 * 44_100], same[44_100 : 2 * 44_100])
    with pytest.raises(CommandError, match="unknown style 'polka'"):
        generate("--mode", "dream", "--seconds", "1.5", "--styles", "polka",
                 "--model", str(model), "--out", str(tmp_path / "x.wav"))  # fmt: skip
    assert not (tmp_path / "x.wav").exists()


def test_it_draws_a_seed_when_none_is_given_and_prints_it_to_reproduce(tmp_path):
    clip = str(real_recording(TRUMPET))
    args = ["--mode", "variation", "--clip", clip, "--seconds", "1", "--steps", "2"]
    first = generate(*args, "--out", str(tmp_path / "a.wav"))
    second = generate(*args, "--out", str(tmp_path / "b.wav"))
    assert first["seed"] != second["seed"]
    assert all(0 <= r["seed"] <= MAX_SEED for r in (first, second))
    generate(*args, "--seed", str(first["seed"]), "--out", str(tmp_path / "again.wav"))
    assert (tmp_path / "again.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()
