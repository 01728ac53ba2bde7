"""The practice evaluation: copy detection, style naming, the per-level table and its command."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from django.core.management import call_command

from generator.engine import checkpoints
from generator.engine.practice import evaluate, rolls, train


def _melody(seed: int, bars: int = 10) -> rolls.Melody:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(10, 30, size=bars * rolls.STEPS_PER_BAR)
    tokens[1::2] = rolls.HOLD
    return rolls.Melody("folk", f"m{seed}", tokens.astype(np.int64))


def test_it_finds_a_copied_phrase_in_any_key_and_not_a_new_one():
    corpus = [_melody(1), _melody(2)]
    index = evaluate.phrase_index(corpus)
    copy = corpus[0].tokens[16 : 16 + evaluate.WINDOW].copy()
    assert evaluate.copied_windows(copy, index) == 1
    transposed = np.where(copy < rolls.N_PITCHES, copy + 5, copy)
    assert evaluate.copied_windows(transposed, index) == 1
    changed = copy.copy()
    changed[40] = (changed[40] + 1) if changed[40] < rolls.N_PITCHES - 1 else 0
    assert evaluate.copied_windows(changed, index) == 0
    assert evaluate.copied_windows(_melody(3).tokens, index) == 0


def test_it_measures_every_level_and_writes_the_table():
    torch.manual_seed(0)
    writer = checkpoints.build(train.WRITER, train._writer_hparams(train.PracticeTrainConfig()))
    classifier = checkpoints.build(train.CLASSIFIER, {"n_styles": 3})
    rows = evaluate.evaluate(writer, classifier, [_melody(1)], per_level=3, bars=8)
    assert [r.level for r in rows] == [1, 2, 3, 4, 5]
    assert all(r.pieces == 3 and r.out_of_range == 0 for r in rows)
    assert rows[0].accidentals == 0 and rows[1].accidentals == 0
    assert rows[0].span <= 7 and rows[0].shortest >= 0.25
    table = evaluate.markdown(rows)
    assert table.count("\n| ") == 5 and "Style named right over all 15 pieces" in table


@pytest.mark.slow
def test_it_runs_the_command_on_the_shipped_checkpoints(tmp_path, capsys):
    cache = tmp_path / "corpus.npz"
    rolls.save([_melody(1)], cache)
    call_command("evaluate_practice", "--per-level", "1", "--bars", "8", "--cache", str(cache))
    out = capsys.readouterr().out
    assert "corpus of 1 melodies" in out and out.count("\n| ") == 6


def test_it_refuses_an_empty_evaluation():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("evaluate_practice", "--per-level", "0")


def test_it_trains_from_the_command_into_the_given_folder(tmp_path):
    cache = tmp_path / "corpus.npz"
    rolls.save([_melody(1), _melody(2)], cache)
    out = tmp_path / "weights"
    call_command(
        "train_practice", "--cache", str(cache), "--out", str(out),
        "--writer-seconds", "1", "--classifier-seconds", "1",
    )  # fmt: skip
    for arch in ("melody_cnn", "style_cnn"):
        assert checkpoints.load(out / arch).config["provenance"]["melodies"]["folk"] == 2


def test_it_refuses_to_train_on_an_empty_corpus(tmp_path):
    from django.core.management.base import CommandError

    cache = tmp_path / "corpus.npz"
    rolls.save([], cache)
    with pytest.raises(CommandError, match="no melodies"):
        call_command("train_practice", "--cache", str(cache), "--out", str(tmp_path / "w"))
    assert not (tmp_path / "w").exists()
