"""Training the music network: mel cache, musical transposition, resumable runs, bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.torch import load_file

from generator.engine import audio, checkpoints, music_data, music_training
from generator.engine.errors import Cancelled
from generator.engine.training import TrainingError
from tests import factories
from tests.generator.trained_helpers import TINY_MUSICNET, write_clip

SR = audio.SAMPLE_RATE
TINY = {k: v for k, v in TINY_MUSICNET.items() if k != "n_styles"}


def tone(path, freq: float, seconds: float = 3.0):
    """A pulsing chord-like tone written as an audio file of the corpus."""
    return write_clip(path, factories.tone(seconds, freq, sample_rate=SR))


def corpus(root):
    """A manifest with train, validation, not-music and unusable rows."""
    rows = [
        ("a.wav", 220.0, "train", "orchestral", "ok", True),
        ("b.wav", 330.0, "train", "electronic", "ok", True),
        ("c.wav", 262.0, "validation", "orchestral", "ok", True),
        ("d.wav", 500.0, "train", "not_music", "ok", False),
        ("e.wav", 220.0, "train", "orchestral", "duplicate", True),
    ]
    lines = []
    for name, freq, split, style, status, music in rows:
        tone(root / name, freq)
        row = {"piece": name, "path": name, "split": split, "style": style, "status": status}
        lines.append(json.dumps({**row, "licence": "CC0", "labels": {"music": music}}))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return root


def cfg(steps: int, **kw) -> music_training.MusicTrainConfig:
    base = dict(batch_size=2, window=32, checkpoint_every=2, export_every=2, warmup=2, hparams=TINY)
    return music_training.MusicTrainConfig(steps=steps, **{**base, **kw})


def test_it_reads_the_music_rows_of_a_split_from_a_manifest(tmp_path):
    root = corpus(tmp_path / "corpus")
    train = music_data.entries([root], "train")
    assert [e.piece for e in train] == ["a.wav", "b.wav"]
    assert [e.style for e in train] == ["orchestral", "electronic"]
    assert [e.piece for e in music_data.entries([root], "validation")] == ["c.wav"]
    with pytest.raises(music_data.DataError, match="does not exist"):
        music_data.entries([tmp_path / "nowhere"])


def test_it_caches_float16_mels_and_transposes_by_resampling_the_audio(tmp_path):
    path = str(tone(tmp_path / "a.wav", 440.0))
    cache = music_data.MelCache(tmp_path / "cache")
    cache.build(path, 0)
    cache.build(path, 2)
    mel, grid = cache.get(path, 0)
    up, _ = cache.get(path, 2)
    assert mel.dtype == np.float16 and mel.shape[0] == audio.N_MELS
    # Played faster: shorter by 2^(2/12), and every partial up two semitones.
    assert up.shape[-1] == pytest.approx(mel.shape[-1] / 2 ** (2 / 12), abs=2)
    fb = audio.mel_filterbank()
    peak = int(np.argmax(np.asarray(mel, np.float32).mean(axis=1)))
    peak_up = int(np.argmax(np.asarray(up, np.float32).mean(axis=1)))
    expected = int(np.argmax(fb[:, round(440 * 2048 / SR)]))
    expected_up = int(np.argmax(fb[:, round(440 * 2 ** (2 / 12) * 2048 / SR)]))
    assert abs(peak - expected) <= 1 and abs(peak_up - expected_up) <= 1
    assert peak_up - peak >= 2  # a whole tone up is two or more bands here, not a bin roll
    assert grid.tempo > 0
    # A changed file is a new cache entry, never the stale one.
    tone(tmp_path / "a.wav", 440.0, seconds=4.0)
    assert cache.get(path, 0) is None


def test_it_marks_a_broken_file_and_trains_on_the_rest(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "broken.wav").write_bytes(b"RIFF not really")
    tone(tmp_path / "data" / "fine.wav", 300.0)
    out = music_training.train(
        cfg(2), [tmp_path / "data"], tmp_path / "out", cache_dir=tmp_path / "cache"
    )
    ckpt = checkpoints.load(out)
    assert ckpt.arch == "musicnet" and ckpt.config["provenance"]["train_pieces"] == 1


@pytest.mark.slow
def test_it_trains_to_the_same_weights_in_two_runs_as_in_one(tmp_path):
    root = corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    music_training.train(cfg(4), [root], tmp_path / "one", cache_dir=cache)
    calls = []

    def stop_after_two() -> bool:  # checked before each step
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled, match="at step 2"):
        music_training.train(
            cfg(4),
            [root],
            tmp_path / "two",
            cache_dir=cache,
            cancelled=stop_after_two,
            fill_cache=False,
        )
    music_training.train(cfg(4), [root], tmp_path / "two", cache_dir=cache, resume=True)
    one = load_file(str(tmp_path / "one" / checkpoints.WEIGHTS))
    two = load_file(str(tmp_path / "two" / checkpoints.WEIGHTS))
    assert one.keys() == two.keys()
    assert all(np.array_equal(one[k].numpy(), two[k].numpy()) for k in one)
    config = checkpoints.load(tmp_path / "one").config
    assert config["extra"]["styles"][:2] == ["orchestral", "electronic"]
    assert config["metrics"]["val_loss"] is not None
    assert config["provenance"]["licences"] == ["CC0"]
    # Training goes on from these weights; another layout cannot start from them.
    music_training.train(
        cfg(1), [root], tmp_path / "three", cache_dir=cache, resume_from_weights=tmp_path / "one"
    )
    with pytest.raises(TrainingError, match="other hyper-parameters"):
        music_training.train(
            cfg(1, hparams={**TINY, "bottom": 16}),
            [root],
            tmp_path / "four",
            cache_dir=cache,
            resume_from_weights=tmp_path / "one",
        )
    # How long and how often may change on resume; what is learned may not.
    music_training.train(
        cfg(5, export_every=5, checkpoint_every=5),
        [root],
        tmp_path / "two",
        cache_dir=cache,
        resume=True,
    )
    assert checkpoints.load(tmp_path / "two").config["metrics"]["steps"] == 5
    with pytest.raises(TrainingError, match="another configuration"):
        music_training.train(
            cfg(6, lr=1e-3), [root], tmp_path / "two", cache_dir=cache, resume=True
        )


def test_it_refuses_data_without_music(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainingError, match="No music"):
        music_training.train(cfg(1), [tmp_path / "empty"], tmp_path / "out", cache_dir=tmp_path)
    with pytest.raises(TrainingError, match="at least one step"):
        music_training.train(cfg(0), [tmp_path / "empty"], tmp_path / "out", cache_dir=tmp_path)
