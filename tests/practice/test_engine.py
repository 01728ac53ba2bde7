"""The practice engine: corpus rolls, the CNNs, the difficulty controls, and writing out."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from generator.engine import checkpoints
from generator.engine.practice import compose, engrave, rolls, train


def _stream(sharps: int, metre: str, notes: list[tuple[int, float]], tie_first: bool = False):
    from music21 import key, meter, note, stream, tie

    part = stream.Part()
    part.insert(0, key.KeySignature(sharps))
    part.insert(0, meter.TimeSignature(metre))
    offset = 0.0
    for i, (midi, ql) in enumerate(notes):
        n = note.Note(midi, quarterLength=ql) if midi else note.Rest(quarterLength=ql)
        if tie_first and i == 1:
            n.tie = tie.Tie("stop")
        part.insert(offset, n)
        offset += ql
    return part.makeMeasures()


def _writer(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return checkpoints.build(train.WRITER, train._writer_hparams(train.PracticeTrainConfig()))


def test_it_transposes_melodies_to_the_key_frame():
    # D major (2 sharps): D4 E4 F#4 G4 as quarters become C4 D4 E4 F4 in the frame.
    tokens = rolls.melody_tokens(_stream(2, "4/4", [(62, 1), (64, 1), (66, 1), (67, 1)]))
    assert tokens is not None and len(tokens) == 16
    assert rolls.notes(tokens) == [(0, 4, 60), (4, 4, 62), (8, 4, 64), (12, 4, 65)]
    f = rolls.features(tokens)
    assert f.span == 5 and f.accidentals == 0.0 and f.shortest == 0.25 and f.density == 4


def test_it_holds_tied_notes_and_skips_triple_metres():
    tied = rolls.melody_tokens(_stream(0, "4/4", [(60, 2), (60, 2)], tie_first=True))
    assert rolls.notes(tied) == [(0, 16, 60)]
    assert rolls.melody_tokens(_stream(0, "3/4", [(60, 3)])) is None


def test_it_draws_rolls_with_sounding_and_onset_planes():
    tokens = np.array([12, rolls.HOLD, rolls.REST, 14], dtype=np.int64)
    image = rolls.roll(tokens)
    assert image.shape == (2, rolls.N_PITCHES, 4)
    assert image[0, 12, :2].tolist() == [1, 1] and image[0, :, 2].sum() == 0
    assert image[1, 12].tolist() == [1, 0, 0, 0] and image[1, 14, 3] == 1


def test_it_reads_real_corpus_melodies_and_stores_them(tmp_path):
    melodies = rolls.extract(("chorale",), limit=2)
    assert melodies and all(m.style == "chorale" for m in melodies)
    assert all(len(m.tokens) % rolls.STEPS_PER_BAR == 0 for m in melodies)
    rolls.save(melodies, tmp_path / "m.npz")
    back = rolls.load(tmp_path / "m.npz")
    assert [m.name for m in back] == [m.name for m in melodies]
    assert all(np.array_equal(a.tokens, b.tokens) for a, b in zip(back, melodies, strict=True))


def test_it_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="Unknown style"):
        rolls.corpus_paths("polka")


def test_it_never_lets_the_writer_see_the_future():
    model = _writer()
    x = torch.rand(2, 2, rolls.N_PITCHES, 40)
    y = x.clone()
    y[..., 25:] = torch.rand(2, 2, rolls.N_PITCHES, 15)
    s = torch.tensor([0, 2])
    a, b = model(x, s, s), model(y, s, s)
    assert a.shape == (2, rolls.VOCAB, 40)
    assert torch.allclose(a[..., :25], b[..., :25], atol=1e-6)
    assert not torch.allclose(a[..., 25], b[..., 25])


def test_it_writes_step_by_step_exactly_as_the_whole_roll_would():
    model = _writer().eval()
    x = (torch.rand(2, 2, rolls.N_PITCHES, 80) > 0.9).float()
    s, lv = torch.tensor([0, 2]), torch.tensor([1, 4])
    with torch.inference_mode():
        full = model(x, s, lv)
        history = [[] for _ in model.blocks]
        steps = [model.step(x[..., max(0, i - 6) : i + 1], s, lv, i, history) for i in range(80)]
    assert torch.allclose(torch.stack(steps, -1), full, atol=1e-5)


def test_it_trains_and_reloads_both_networks(tmp_path):
    melodies = [
        rolls.Melody(style, f"{style}{i}", rolls.melody_tokens(_stream(0, "4/4", notes * 4)))
        for i, (style, notes) in enumerate(
            [("chorale", [(60, 1)] * 4), ("folk", [(64, 0.5)] * 8), ("irish", [(67, 0.25)] * 16)]
            * 2
        )
    ]
    cfg = train.PracticeTrainConfig(writer_seconds=1, classifier_seconds=1, batch=4, crop_bars=2)
    paths = train.train(melodies, tmp_path, cfg)
    writer = checkpoints.load(paths[train.WRITER])
    classifier = checkpoints.load(paths[train.CLASSIFIER])
    assert writer.config["metrics"]["steps"] >= 1 and "val_loss" in writer.config["metrics"]
    assert 0 <= classifier.config["metrics"]["val_accuracy"] <= 1
    assert writer.config["provenance"]["melodies"] == {"chorale": 2, "folk": 2, "irish": 2}
    assert classifier.model(torch.zeros(1, 2, rolls.N_PITCHES, 32)).shape == (1, 3)


def test_it_refuses_training_on_nothing(tmp_path):
    with pytest.raises(ValueError, match="No melodies"):
        train.train([], tmp_path)


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_it_keeps_each_level_inside_its_controls(level):
    asks = [("folk", "violin"), ("irish", "tuba"), ("chorale", "recorder")]
    requests = [
        compose.Request(s, level, 4, inst, seed=level * 10 + i) for i, (s, inst) in enumerate(asks)
    ]
    rules = compose.LEVELS[level]
    for piece in compose.compose(_writer(level), requests):
        inst = piece.instrument
        pitches = [p for _, _, p in piece.notes]
        assert all(inst.low <= p <= inst.high for p in pitches)
        assert max(pitches) - min(pitches) <= rules.span
        assert all(start % rules.grid == 0 for start, _, _ in piece.notes)
        assert abs(piece.sharps) <= rules.max_sharps and piece.bpm == rules.bpm
        assert len(piece.tokens) == 4 * rolls.STEPS_PER_BAR
        frame = [p for _, _, p in rolls.notes(piece.tokens)]
        if rules.chromatic is None:
            assert all(p % 12 in rolls.WHITE_KEYS for p in frame)
        # The last bar is one tonic note.
        last = piece.notes[-1]
        assert last[0] == 3 * rolls.STEPS_PER_BAR and last[1] == rolls.STEPS_PER_BAR
        assert frame[-1] % 12 == (0 if piece.mode == "major" else 9)


def test_it_writes_the_same_piece_from_the_same_seed():
    r = compose.Request("folk", 3, 4, "flute", seed=7)
    a, b = compose.compose(_writer(), [r]), compose.compose(_writer(), [r])
    assert a[0].notes == b[0].notes and a[0].sharps == b[0].sharps


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (compose.Request("polka", 1, 8, "violin"), "Unknown style"),
        (compose.Request("folk", 6, 8, "violin"), "Difficulty"),
        (compose.Request("folk", 1, 1, "violin"), "Length"),
        (compose.Request("folk", 1, 99, "violin"), "Length"),
        (compose.Request("folk", 1, 8, "kazoo"), "Unknown instrument"),
    ],
)
def test_it_refuses_bad_requests(request_, message):
    with pytest.raises(compose.ComposeError, match=message):
        compose.compose(_writer(), [request_])


def test_it_lists_instruments_by_general_midi_family():
    assert compose.INSTRUMENTS["violin"].family == "Strings"
    assert compose.INSTRUMENTS["flute"].family == "Pipe"
    assert compose.INSTRUMENTS["trumpet"].family == "Brass"
    assert all(i.low < i.high for i in compose.INSTRUMENTS.values())


def test_it_engraves_musicxml_svg_timemap_and_midi():
    from music21 import converter

    piece = compose.compose(_writer(), [compose.Request("folk", 4, 4, "clarinet", seed=3)])[0]
    out = engrave.engrave(piece, "Test piece")
    back = converter.parseData(out.musicxml.decode(), format="musicxml")
    sounding = [n.pitch.midi for n in back.flatten().notes if not n.tie or n.tie.type == "start"]
    assert sounding == [p for _, _, p in piece.notes]
    assert back.flatten().keySignature.sharps == piece.sharps
    assert out.svg.startswith("<svg") and out.svg.count('class="note"') >= len(piece.notes)
    onsets = [e["tstamp"] / 1000 for e in out.timemap if e.get("on")]
    beat = 60 / piece.bpm
    assert onsets == pytest.approx([s / 4 * beat for s, _, _ in piece.notes], abs=0.01)
    assert out.midi.startswith(b"MThd")


@pytest.mark.slow
def test_it_renders_audio_at_44k_and_a_pdf():
    import soundfile as sf

    piece = compose.compose(_writer(), [compose.Request("chorale", 2, 4, "trumpet", seed=1)])[0]
    out = engrave.write_out(piece)
    samples, rate = sf.read(io.BytesIO(out.audio))
    assert rate == 44_100
    length = 4 * 4 * 60 / piece.bpm
    assert length <= out.seconds <= length + 3  # FluidSynth renders the release tail
    assert np.abs(samples).max() > 0.01
    assert out.pdf.startswith(b"%PDF")


def test_it_says_when_a_practice_checkpoint_is_missing(tmp_path):
    from generator.engine import practice

    with pytest.raises(checkpoints.CheckpointError, match="No 'melody_cnn' checkpoint"):
        practice.load("melody_cnn", folder=tmp_path)


def test_it_engraves_from_a_worker_thread_as_a_web_server_does():
    from concurrent.futures import ThreadPoolExecutor

    piece = compose.compose(_writer(), [compose.Request("folk", 1, 2, "violin", seed=2)])[0]
    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(engrave.engrave, piece).result()
    assert out.svg.startswith("<svg") and "<style" not in out.svg


def test_it_ships_small_verified_practice_checkpoints():
    from generator.engine import practice

    writer, classifier = practice.load("melody_cnn"), practice.load("style_cnn")
    assert writer.arch == "melody_cnn" and writer.config["metrics"]["steps"] > 1000
    assert classifier.config["metrics"]["val_accuracy"] >= 0.7
    assert sum(writer.config["provenance"]["melodies"].values()) > 500
    size = sum(f.stat().st_size for f in practice.WEIGHTS.rglob("*") if f.is_file())
    assert size < 5 * 2**20


@pytest.mark.parametrize("slug", sorted(compose.INSTRUMENTS))
def test_it_builds_a_score_in_every_instruments_clef(slug):
    """Each instrument's clef is one music21 knows (the bass's 8vb clef once was not)."""
    piece = compose.compose(_writer(1), [compose.Request("folk", 1, 2, slug, seed=3)])[0]
    score = engrave.score(piece, "Clef check")
    assert score.parts[0].recurse().getElementsByClass("Clef")
