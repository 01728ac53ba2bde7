"""The corpus builder: sources skipped cleanly when absent, manifest, split by piece."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest
from django.core.management import call_command

from generator.engine import corpus, training
from tests.factories import TEST_AUDIO


@pytest.fixture(scope="module", autouse=True)
def _test_audio():
    """The "shared" source reads the suite's own excerpts, so no test needs ../shared."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus, "SHARED_AUDIO", TEST_AUDIO)
        yield


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    corpus.build(out, sources=("shared", "chorales"), limit=5, max_seconds=3.0)
    return out


def test_it_writes_a_manifest_with_provenance(small):
    manifest = json.loads((small / corpus.MANIFEST).read_text())
    pieces = manifest["pieces"]
    assert pieces and manifest["split"] == "by piece"
    for p in pieces:
        assert p["licence"] and p["source"] and p["labels"]["tag"] in corpus.TAGS
        assert (small / p["path"]).exists() and p["seconds"] <= 3.0
    music21 = importlib.util.find_spec("music21") is not None
    if shutil.which("fluidsynth") and corpus._soundfont() and music21:
        assert any(p["source"] == "music21-bach-chorales" for p in pieces)


def test_it_splits_by_piece_never_by_window(small):
    pieces = corpus.read(small)
    train = {p.piece for p in pieces if p.split == "train"}
    validation = {p.piece for p in pieces if p.split == "validation"}
    assert train and validation and not train & validation
    seen_in_training = set(training.load_data([small], "tagger").names)
    assert seen_in_training <= train and not seen_in_training & validation


def test_it_keeps_not_music_away_from_the_unet(small):
    names = training.load_data([small], "unet").names
    assert "shared/librispeech_198-209-0000" not in names
    assert "shared/librispeech_198-209-0000" in training.load_data([small], "tagger").names


def test_it_skips_missing_sources_cleanly(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus, "WESNOTH_MUSIC", tmp_path / "no-wesnoth")
    monkeypatch.setattr(corpus, "SHARED_AUDIO", tmp_path / "no-shared")
    assert corpus.build(tmp_path / "out", sources=("shared", "wesnoth")) == []
    assert "skipped" in caplog.text
    assert json.loads((tmp_path / "out" / corpus.MANIFEST).read_text())["pieces"] == []


def test_it_builds_a_small_corpus_from_the_command_line(tmp_path, capsys):
    call_command("build_corpus", str(tmp_path / "c"), "--small", "--sources", "shared")
    assert "pieces" in capsys.readouterr().out
    assert len(corpus.read(tmp_path / "c")) == 2
