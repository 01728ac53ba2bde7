"""The corpus builder: manifest rows, licences from copyright globs, dedupe, split, filter."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from generator.engine import corpus, corpus_audio, corpus_debian, corpus_renders, training
from generator.engine.corpus_debian import CorpusError
from tests.factories import TEST_AUDIO

from .corpus_helpers import FAKE, TABLE, fake_package


@pytest.fixture(scope="module", autouse=True)
def _test_audio():
    """The "shared" source reads the suite's own excerpts, so no test needs ../shared."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus, "SHARED_AUDIO", TEST_AUDIO)
        yield


def build_fake(out, **kwargs):
    kwargs.setdefault("sources", ("debian",))
    kwargs.setdefault("packages", (FAKE.name,))
    return corpus.build(out, offline=True, table=TABLE, **kwargs)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    out = tmp_path_factory.mktemp("fake-corpus")
    fake_package(out, corrupt=True)
    rows = build_fake(out)
    return out, {r.installed.rsplit("/", 1)[-1]: r for r in rows}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    corpus.build(
        out, sources=("shared", "renders"), render_sets=("chorales",), limit=5, max_seconds=3.0
    )
    return out


def test_it_writes_a_manifest_row_per_file(fake):
    out, rows = fake
    calm = rows["calm.ogg"]
    assert calm.package == "fake-music" and calm.source == "debian"
    assert calm.installed == "/usr/share/games/fake/music/calm.ogg"
    assert calm.seconds == pytest.approx(21.0, abs=0.05)
    assert (calm.sample_rate, calm.channels) == (16_000, 2)
    assert calm.sha256 == hashlib.sha256((out / calm.path).read_bytes()).hexdigest()
    assert calm.style == calm.labels["tag"] == "orchestral" and calm.labels["music"]
    assert calm.split in {"train", "validation", "test"} and calm.status == "ok"
    assert "battle.ogg.tags" not in rows  # not audio: not a row
    written = [json.loads(line) for line in (out / corpus.MANIFEST).read_text().splitlines()]
    assert {r["piece"] for r in written} == {r.piece for r in rows.values()}
    assert [p.piece for p in corpus.read(out)] == sorted(
        r.piece for r in rows.values() if r.status == "ok"
    )


def test_it_reads_each_files_licence_from_the_copyright_globs(fake):
    _, rows = fake
    assert (rows["calm.ogg"].licence, rows["calm.ogg"].licence_family) == ("CC-BY-3.0", "cc-by")
    assert rows["calm.ogg"].licence_files == "Files: data/music/calm*"
    battle = rows["battle.ogg"]
    assert (battle.licence, battle.licence_family) == ("GPL-3 or CC-BY-SA-3.0", "cc-by-sa")
    assert battle.style == "rock_pop"  # the package's per-file style rule
    assert (rows["fields.ogg"].licence, rows["fields.ogg"].licence_family) == (
        "public-domain",
        "pd",
    )
    assert (rows["gpl_theme.ogg"].licence, rows["gpl_theme.ogg"].licence_files) == (
        "GPL-2+",
        "Files: *",
    )
    cave = rows["cave.ogg"]
    assert cave.installed == "/usr/share/games/fake/music.pk3:music/cave.ogg"
    assert cave.status == "ok" and cave.licence == "GPL-2+"


def test_it_dedupes_identical_and_reencoded_files(fake):
    _, rows = fake
    same_bytes = rows["calm_again.ogg"]
    assert same_bytes.status == "duplicate" and same_bytes.split == ""
    assert same_bytes.note == "same bytes as fake-music/calm"
    reencoded = rows["fields_hq.flac"]
    assert reencoded.sample_rate == 44_100 and reencoded.sha256 != rows["fields.ogg"].sha256
    assert reencoded.status == "duplicate" and reencoded.note == "same audio as fake-music/fields"
    # The copy kept is the one with the freer licence, and different pieces all stay.
    assert rows["fields.ogg"].status == rows["calm.ogg"].status == "ok"
    ok = [r for r in rows.values() if r.status == "ok"]
    assert len(ok) == 6


def test_it_tells_different_pieces_from_the_same_piece_by_fingerprint(fake):
    out, rows = fake
    fp = {n: corpus_audio.probe(out / rows[n].path).fingerprint for n in ("calm.ogg", "fields.ogg")}
    hq = corpus_audio.probe(out / rows["fields_hq.flac"].path).fingerprint
    assert corpus_audio.similarity(fp["fields.ogg"], hq) > corpus_audio.SAME_AUDIO
    assert corpus_audio.similarity(fp["calm.ogg"], fp["fields.ogg"]) < 0.5


def test_it_skips_a_corrupt_file_with_a_warning_row(fake):
    _, rows = fake
    broken = rows["broken.ogg"]
    assert broken.status == "corrupt" and broken.note and broken.split == ""
    assert rows["jingle.ogg"].status == "short"
    assert broken.piece not in {p.piece for p in corpus.read(fake[0])}


def test_it_splits_by_piece_deterministically(fake):
    _, rows = fake
    assert rows["battle.ogg"].group == rows["battle_fast.ogg"].group == "fake-music/battle"
    assert rows["battle.ogg"].split == rows["battle_fast.ogg"].split
    for r in rows.values():
        if r.status == "ok":
            assert r.split == corpus.split_of(r.group)
    assert corpus.group_of("p", "a/Lava_fast.ogg") == corpus.group_of("p", "b/lava.ogg") == "p/lava"
    assert (
        corpus.group_of("p", "track3_enhanced.opus")
        == "p/track3"
        != corpus.group_of("p", "track13.opus")
    )
    splits = [corpus.split_of(f"pkg/piece{i}") for i in range(2000)]
    assert splits == [corpus.split_of(f"pkg/piece{i}") for i in range(2000)]
    assert 0.75 < splits.count("train") / 2000 < 0.85
    assert 0.07 < splits.count("test") / 2000 < 0.13


def test_it_resumes_without_decoding_finished_files(fake, tmp_path, monkeypatch):
    out = tmp_path / "c"
    shutil.copytree(fake[0], out)
    first = build_fake(out)

    def no_decoding(path):
        raise AssertionError(f"decoded {path} again")

    monkeypatch.setattr(corpus_audio, "probe", no_decoding)
    assert build_fake(out) == first


def test_it_filters_by_licence_family(fake, tmp_path, monkeypatch):
    out = tmp_path / "c"
    shutil.copytree(fake[0], out)
    decoded = []
    probe = corpus_audio.probe
    monkeypatch.setattr(corpus_audio, "probe", lambda path: decoded.append(path) or probe(path))
    rows = build_fake(out, licences=corpus_debian.parse_families("pd,cc0,cc-by,bsd"))
    assert sorted(p.name for p in decoded) == ["calm.ogg", "fields.ogg"]  # others: never decoded
    assert {r.piece: r.licence_family for r in rows if r.status == "ok"} == {
        "fake-music/calm": "cc-by",
        "fake-music/fields": "pd",
    }
    meta = json.loads((out / corpus.META).read_text())
    assert meta["licence_filter"] == ["pd", "cc-by", "bsd"]
    assert set(meta["excluded_by_licence"]) == {"gpl", "cc-by-sa"}
    assert set(meta["licences"]["families"]) == {"pd", "cc-by"}


def test_it_refuses_a_licence_filter_that_leaves_nothing(fake, tmp_path):
    out = tmp_path / "c"
    shutil.copytree(fake[0], out)
    before = (out / corpus.MANIFEST).read_text()
    with pytest.raises(CorpusError, match="No file's licence is in bsd"):
        build_fake(out, licences=("bsd",))
    assert (out / corpus.MANIFEST).read_text() == before
    with pytest.raises(CorpusError, match="Unknown licence family 'cc-nc'"):
        corpus_debian.parse_families("pd,cc-nc")


def test_it_refuses_a_missing_package_and_writes_nothing(fake, tmp_path):
    out = tmp_path / "c"
    fake_package(out)
    with pytest.raises(CorpusError, match="fake-missing not in"):
        build_fake(out, packages=(FAKE.name, "fake-missing"))
    with pytest.raises(CorpusError, match="No music layout is known for no-such-package"):
        build_fake(out, packages=("no-such-package",))
    assert sorted(p.name for p in out.iterdir()) == [corpus.PACKAGE_DIR]


def test_it_refuses_a_package_without_a_copyright_file(tmp_path):
    root = fake_package(tmp_path)
    (root / "usr/share/doc/fake-music/copyright").unlink()
    with pytest.raises(CorpusError, match="fake-music has no copyright file"):
        build_fake(tmp_path)
    assert not (tmp_path / corpus.MANIFEST).exists()


def test_it_reads_apt_candidates():
    policy = (
        "wesnoth-1.16-music:\n  Installed: (none)\n  Candidate: 1:1.16.9-1\n"
        "  Version table:\n     1:1.16.9-1 500\n"
        "no-such-music:\n  Installed: (none)\n  Candidate: (none)\n"
    )
    assert corpus_debian.candidates(policy) == {
        "wesnoth-1.16-music": "1:1.16.9-1",
        "no-such-music": None,
    }


@pytest.mark.parametrize(
    "statement, family",
    [
        ("GPL-2+", "gpl"),
        ("CC-BY-SA-3.0+", "cc-by-sa"),
        ("GPL-3 or CC-BY-3.0", "cc-by"),
        ("public-domain", "pd"),
        ("CC0-1.0", "pd"),
        ("Expat", "bsd"),
        ("PD score + MIT soundfont", "bsd"),
        ("CC-BY-3.0 and GPL-2+", "gpl"),
        ("Drascula-License", "other"),
        ("CC-BY-NC-4.0", "other"),
    ],
)
def test_it_sorts_licences_into_families(statement, family):
    assert corpus_debian.family_of(statement) == family


def test_it_matches_copyright_globs_against_installed_paths():
    text = (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: x\nLicense: GPL-3+\n\n"
        "Files: data/*\nCopyright: x\nLicense: CC-BY-3.0\n\n"
        "Files: data/audio/music/*\nCopyright: x\nLicense: CC-BY-SA-3.0\n"
    )
    cf = corpus_debian.CopyrightFile(text)
    music = cf.licence("usr/share/games/mars/audio/music/space.ogg")
    assert (music.statement, music.files) == ("CC-BY-SA-3.0", "Files: data/audio/music/*")
    # "data/*" names no folder once "data/" is dropped, so it cannot claim every file.
    assert cf.licence("usr/share/games/mars/audio/menu.ogg").statement == "GPL-3+"
    stated = corpus_debian.CopyrightFile("Some prose about GPL.\n", stated="GPL-2+")
    assert not stated.machine_readable
    assert stated.licence("a/b.ogg").family == "gpl"


def test_it_summarises_licences_for_a_models_config(fake):
    _, rows = fake
    ok = [r for r in rows.values() if r.status == "ok"]
    s = corpus.licence_summary(ok)
    assert list(s["families"]) == ["pd", "cc-by", "cc-by-sa", "gpl"]
    assert s["families"]["gpl"]["files"] == 3
    assert s["family_names"]["pd"] == "PD/CC0"
    assert s["sources"]["fake-music"] == sorted({r.licence for r in ok})
    as_dicts = corpus.licence_summary([{"licence": "CC0-1.0", "seconds": 3600, "source": "x"}])
    assert as_dicts["families"] == {"pd": {"files": 1, "hours": 1.0}}


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_it_unpacks_only_music_and_the_copyright_from_a_deb(tmp_path):
    import subprocess
    import zipfile

    from .corpus_helpers import tune, write

    tree = tmp_path / "tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN/control").write_text(
        "Package: fake-music\nVersion: 1.0-1\nArchitecture: all\n"
        "Maintainer: Alice <alice@example.com>\nDescription: fake\n"
    )
    doc = tree / "usr/share/doc/fake-music/copyright"
    doc.parent.mkdir(parents=True)
    doc.write_text("Files: *\nLicense: GPL-2+\n")
    write(tree / "usr/share/games/fake/music/theme.ogg", tune(1, seconds=1.0))
    write(tree / "usr/share/games/fake/sounds/boom.ogg", tune(2, seconds=0.5))
    ogg = (tree / "usr/share/games/fake/music/theme.ogg").read_bytes()
    with zipfile.ZipFile(tree / "usr/share/games/fake/music.pk3", "w") as zf:
        zf.writestr("music/cave.ogg", ogg)
        zf.writestr("sound/step.ogg", ogg)
        zf.writestr("../escape.ogg", ogg)
    deb = tmp_path / "fake-music_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    root = tmp_path / "root"
    assert corpus_debian.unpack_deb(FAKE, deb, root) == 3
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [
        "usr/share/doc/fake-music/copyright",
        "usr/share/games/fake/music.pk3/music/cave.ogg",
        "usr/share/games/fake/music/theme.ogg",
    ]
    found = corpus_debian.music_files(FAKE, root)
    assert sorted(f.installed for f in found) == [
        "/usr/share/games/fake/music.pk3:music/cave.ogg",
        "/usr/share/games/fake/music/theme.ogg",
    ]


def test_it_reports_bad_packages_and_licences_from_the_command_line(fake, tmp_path, capsys):
    out = tmp_path / "c"
    shutil.copytree(fake[0], out)
    with pytest.raises(CommandError, match="No music layout is known for no-such-package"):
        call_command("build_corpus", str(out), "--offline", "--packages", "no-such-package")
    with pytest.raises(CommandError, match="Unknown licence family"):
        call_command("build_corpus", str(out), "--licence", "gpl,nc")


# -- the renders and the shared recordings (as before, now 44.1 kHz stereo) ---------


def test_it_writes_renders_and_shared_recordings_with_provenance(small):
    pieces = corpus.read(small)
    assert pieces
    for p in pieces:
        assert p.licence and p.source and p.labels["tag"] in corpus.TAGS
        assert p.seconds <= 3.0 and p.sample_rate == 44_100 and p.status == "ok"
    music21 = importlib.util.find_spec("music21") is not None
    if shutil.which("fluidsynth") and corpus_renders.soundfont() and music21:
        chorales = [p for p in pieces if p.source == "music21-chorales"]
        assert chorales and all(p.channels == 2 and p.style == "chorale" for p in chorales)
        assert all(p.licence == "PD score + MIT soundfont" for p in chorales)
        assert all(p.licence_family == "bsd" for p in chorales)


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
    monkeypatch.setattr(corpus, "SHARED_AUDIO", tmp_path / "no-shared")
    assert corpus.build(tmp_path / "out", sources=("shared",)) == []
    assert "skipped" in caplog.text
    assert (tmp_path / "out" / corpus.MANIFEST).read_text() == ""


def test_it_builds_a_small_corpus_from_the_command_line(tmp_path, capsys):
    call_command("build_corpus", str(tmp_path / "c"), "--small", "--sources", "shared")
    assert "pieces" in capsys.readouterr().out
    assert len(corpus.read(tmp_path / "c")) == 2


@pytest.mark.slow
@pytest.mark.skipif(corpus_renders.available() != "", reason="needs fluidsynth and music21")
def test_it_renders_folk_tunes_over_drums_on_channel_10(tmp_path):
    from music21 import midi

    rows = corpus.build(
        tmp_path, sources=("renders",), render_sets=("folk", "piano"), limit=1, max_seconds=6.0
    )
    folk = next(r for r in rows if r.source == "music21-folk")
    assert folk.style == "folk_world" and folk.labels["drums"] and folk.channels == 2
    assert folk.labels["instrument"] in corpus_renders.FOLK_LEADS
    assert next(r for r in rows if r.source == "music21-piano").style == "piano"
    score = corpus_renders._first_score(
        __import__("music21").corpus.parse(corpus_renders._paths("folk")[0])
    )
    score.insert(0, corpus_renders._drum_part(8.0, "compound", corpus_renders.CLOSED_HAT, 38))
    path = tmp_path / "t.mid"
    corpus_renders._write_midi(score, path, len(score.parts) - 1)
    mf = midi.MidiFile()
    mf.open(str(path))
    mf.read()
    mf.close()
    channels = {e.channel for t in mf.tracks[1:] for e in t.events if e.isNoteOn()}
    assert 10 in channels and len(channels) == 2


@pytest.mark.skipif(corpus_renders.available() != "", reason="needs fluidsynth and music21")
def test_it_renders_a_grace_note_on_a_sustaining_instrument_to_its_end(tmp_path):
    # A grace note's note-off lands before its note-on; FluidSynth then held the
    # accordion's note and rendered until killed.
    from music21 import instrument, note, stream, tempo

    part = stream.Part()
    accordion = instrument.Instrument()
    accordion.midiProgram = corpus_renders.FOLK_LEADS["accordion"]
    part.insert(0, accordion)
    part.insert(0, tempo.MetronomeMark(number=120))
    part.append([note.Note("A4"), note.Note("B4").getGrace(), note.Note("A4")])
    mid = tmp_path / "grace.mid"
    corpus_renders._write_midi(stream.Score([part]), mid, None)
    samples = corpus_renders._synth(mid, corpus_renders.soundfont(), tmp_path, timeout=30)
    assert samples.shape[1] == 2 and len(samples) < 10 * corpus_audio.SAMPLE_RATE


def test_it_names_renders_uniquely_when_scores_share_a_file_name():
    stems = corpus_renders._stems(
        ["/c/beethoven/opus18no1/movement1.mxl", "/c/haydn/opus74no1/movement1.mxl", "/c/j/rag.mxl"]
    )
    assert list(stems.values()) == [
        "beethoven-opus18no1-movement1",
        "haydn-opus74no1-movement1",
        "rag",
    ]


@pytest.mark.skipif(corpus_renders.available() != "", reason="needs fluidsynth and music21")
def test_it_renders_again_a_render_whose_file_was_deleted(small, tmp_path):
    out = tmp_path / "c"
    shutil.copytree(small, out)
    kwargs = {"sources": ("renders",), "render_sets": ("chorales",), "limit": 5}
    first = corpus.build(out, max_seconds=3.0, **kwargs)
    lost = out / first[0].path
    lost.unlink()
    again = corpus.build(out, max_seconds=3.0, **kwargs)
    assert lost.exists() and [r.piece for r in again] == [r.piece for r in first]
