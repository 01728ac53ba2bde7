"""Training: from audio paths, deterministic, resumable, cancellable; the train command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from generator.engine import checkpoints, tagger_eval, training
from generator.engine.errors import Cancelled
from tests.generator.trained_helpers import TINY_TAGGER, TINY_UNET, synth_piece, write_clip

pytestmark = pytest.mark.slow  # trains networks


def _cfg(arch: str = "unet", steps: int = 4, **kw) -> training.TrainConfig:
    hp = TINY_UNET if arch == "unet" else TINY_TAGGER
    return training.TrainConfig(
        arch=arch, steps=steps, batch_size=2, window=32, checkpoint_every=2, hparams=dict(hp), **kw
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    return [
        str(write_clip(root / "piano" / "a.wav", synth_piece(3.0, 220.0, seed=1))),
        str(write_clip(root / "piano" / "b.wav", synth_piece(3.0, 330.0, seed=2))),
        str(write_clip(root / "organ" / "c.wav", synth_piece(3.0, 110.0, seed=3) * 0.5)),
    ]


def _weights(path) -> dict[str, torch.Tensor]:
    return checkpoints.load(path).model.state_dict()


def test_it_trains_from_a_list_of_audio_paths(clips, tmp_path):
    seen = []
    out = training.train(_cfg(), clips, tmp_path / "u", progress=lambda s, f, **_: seen.append(f))
    ckpt = checkpoints.load(out)
    assert ckpt.arch == "unet" and ckpt.config["metrics"]["steps"] == 4
    assert ckpt.config["provenance"]["train_pieces"] == 3
    assert seen[-1] == 1.0


def test_it_is_deterministic_with_a_seed(clips, tmp_path):
    a = _weights(training.train(_cfg(seed=3), clips, tmp_path / "a"))
    b = _weights(training.train(_cfg(seed=3), clips, tmp_path / "b"))
    c = _weights(training.train(_cfg(seed=4), clips, tmp_path / "c"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("arch", ["unet", "tagger"])
def test_it_resumes_to_the_same_weights_as_an_uninterrupted_run(arch, clips, tmp_path):
    whole = _weights(training.train(_cfg(arch, 4), clips, tmp_path / "whole"))
    done = []
    with pytest.raises(Cancelled):  # interrupted after two steps
        training.train(
            _cfg(arch, 4),
            clips,
            tmp_path / "split",
            cancelled=lambda: len(done) >= 2,
            progress=lambda stage, f, **_: done.append(f) if "step" in stage else None,
        )
    resumed = _weights(training.train(_cfg(arch, 4), clips, tmp_path / "split", resume=True))
    for k in whole:
        torch.testing.assert_close(whole[k], resumed[k], rtol=1e-5, atol=1e-6, msg=k)


def test_it_saves_state_when_cancelled_and_resumes(clips, tmp_path):
    steps = []

    def cancelled():
        return len(steps) >= 3

    with pytest.raises(Cancelled):
        training.train(
            _cfg(steps=6),
            clips,
            tmp_path / "u",
            cancelled=cancelled,
            progress=lambda s, f, **_: steps.append(f) if "step" in s else None,
        )
    state = json.loads((tmp_path / "u" / training.STATE_JSON).read_text())
    assert state["step"] == 3
    training.train(_cfg(steps=6), clips, tmp_path / "u", resume=True)
    assert checkpoints.load(tmp_path / "u").config["metrics"]["steps"] == 6


def test_it_continues_the_loss_curve_when_resumed(clips, tmp_path):
    def curve(points: dict):
        return lambda stage, fraction, step=None, loss=None: (
            points.__setitem__(step, loss) if step is not None else None
        )

    whole: dict[int, float] = {}
    training.train(_cfg(steps=6), clips, tmp_path / "whole", progress=curve(whole))
    split: dict[int, float] = {}
    with pytest.raises(Cancelled):
        training.train(
            _cfg(steps=6),
            clips,
            tmp_path / "split",
            progress=curve(split),
            cancelled=lambda: len(split) >= 3,
        )
    assert sorted(split) == [1, 2, 3]
    training.train(_cfg(steps=6), clips, tmp_path / "split", resume=True, progress=curve(split))
    assert sorted(split) == sorted(whole) == [1, 2, 3, 4, 5, 6]
    assert all(loss > 0.1 for loss in whole.values())  # far from the 0 a reset would start at
    for step in whole:
        assert split[step] == pytest.approx(whole[step], rel=1e-4), step
    saved = checkpoints.load(tmp_path / "split").config["metrics"]["final_train_loss"]
    assert saved == pytest.approx(round(whole[6], 5), rel=1e-4)


def test_it_refuses_to_resume_with_another_configuration(clips, tmp_path):
    training.train(_cfg(steps=2), clips, tmp_path / "u")
    with pytest.raises(training.TrainingError, match="another configuration"):
        training.train(_cfg(steps=4, lr=1e-2), clips, tmp_path / "u", resume=True)


def test_it_rejects_unusable_training_data(tmp_path, clips):
    with pytest.raises(training.TrainingError, match="does not exist"):
        training.train(_cfg(), [str(tmp_path / "nothing.wav")], tmp_path / "u")
    with pytest.raises(training.TrainingError, match="two labels"):
        training.train(_cfg("tagger"), clips[:2], tmp_path / "t")


def test_it_trains_from_the_command_line(clips, tmp_path):
    out = tmp_path / "tagger"
    call_command(
        "train",
        "--arch",
        "tagger",
        "--data",
        *clips,
        "--steps",
        "3",
        "--out",
        str(out),
        "--batch-size",
        "2",
        "--seed",
        "1",
        verbosity=0,
    )
    ckpt = checkpoints.load(out)
    assert ckpt.extra["classes"] == ["organ", "piano"]
    with pytest.raises(CommandError):
        call_command(
            "train",
            "--arch",
            "unet",
            "--data",
            str(tmp_path / "none"),
            "--steps",
            "1",
            "--out",
            str(tmp_path / "x"),
            verbosity=0,
        )


def _tiny_corpus(root) -> str:
    """A manifest corpus: two styles, pieces in every split (as build_corpus writes them)."""
    rows = []
    for i, (style, freq) in enumerate([("piano", 220.0), ("organ", 110.0)] * 3):
        split = ("train", "validation", "test")[i // 2]
        rel = f"{split}/{style}{i}.wav"
        write_clip(root / rel, synth_piece(3.0, freq * (1 + 0.1 * i), seed=i))
        labels = {"tag": style, "style": style, "music": True}
        rows.append(
            {
                "piece": f"p{i}",
                "source": "s",
                "licence": "PD",
                "path": rel,
                "seconds": 3.0,
                "split": split,
                "labels": labels,
                "style": style,
            }
        )
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(root)


def test_a_corpus_tagger_trains_from_the_mel_cache_and_calibrates_its_threshold(tmp_path):
    data = _tiny_corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    out = training.train(_cfg("tagger", 6), [data], tmp_path / "t", cache_dir=cache)
    ckpt = checkpoints.load(out)
    # Every piece of every split was analysed once into the cache, as float16 on disk.
    assert len(list(cache.rglob("*.npy"))) == 6
    judged = ckpt.config["metrics"]["pieces"]
    assert judged["test"]["pieces"] == 2
    assert set(judged["test"]["per_label"]) == {"organ", "piano"}
    assert 0.0 < ckpt.extra["threshold"] <= tagger_eval.NEVER
    assert ckpt.extra["threshold"] == judged["threshold"]
    # A second run reads the cache instead of decoding: the same data, the same weights.
    again = training.train(_cfg("tagger", 6), [data], tmp_path / "t2", cache_dir=cache)
    a, b = _weights(out), _weights(again)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_threshold_is_the_lowest_at_which_shown_labels_are_right_often_enough():
    labels = np.array([0, 0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6], [0.55, 0.45], [0.35, 0.65]])
    # Sure to unsure: right, right, right (0.6), wrong (0.55), wrong (0.65 says 1).
    assert tagger_eval.calibrate(probs, labels, target=0.75) == 0.6
    assert tagger_eval.calibrate(probs, labels, target=1.0) == 0.7
    # A tagger that is never right enough shows nothing.
    assert tagger_eval.calibrate(probs[[3, 4]], labels[[3, 4]], 0.8) == tagger_eval.NEVER
