"""The evaluation's metrics cannot be fooled by silence, noise or a shuffled copy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.management import call_command

from generator.engine import audio, evaluation, vocoder
from tests.conftest import real_recording

SR = audio.SAMPLE_RATE
pytestmark = pytest.mark.slow  # embeds and scores minutes of audio


@pytest.fixture(scope="module")
def reference():
    """Six 5-second clips of real music from two recordings."""
    clips = []
    for name in ("brahms_hungarian_dance_5.ogg", "macleod_vibe_ace.ogg"):
        samples = audio.load(real_recording(name))
        clips += [samples[i * 5 * SR : (i + 1) * 5 * SR] for i in range(1, 4)]
    return clips


@pytest.fixture(scope="module")
def scores(reference):
    return evaluation.baselines(reference)


def test_it_scores_silence_noise_and_shuffles_worse_than_honest(scores):
    honest = scores["honest_reconstruction"]
    for bad in ("silence", "white_noise", "shuffled_0.25s"):
        assert scores[bad]["frechet"] > honest["frechet"], bad
        assert scores[bad]["kernel"] > honest["kernel"], bad
    assert honest["chroma_similarity"] > scores["white_noise"]["chroma_similarity"]


def test_it_reports_the_real_vs_real_floor_and_chance(scores):
    honest = scores["honest_reconstruction"]
    assert honest["frechet_floor_real_vs_real"] > 0
    assert honest["chroma_similarity"] > honest["chroma_similarity_chance"]
    assert honest["pitch_class_similarity"] > honest["pitch_class_similarity_chance"]


def test_it_measures_the_vocoder_round_trip(reference):
    good = evaluation.vocoder_metrics(reference[0])
    assert 0 < good["spectral_convergence"] < 1 and good["log_spectral_distance_db"] > 0
    # Phase rebuilt from the mel is near the original at every resolution; noise is far.
    noise = evaluation.white_noise(len(reference[0]))
    far = vocoder.multi_resolution_stft_distance(noise, reference[0])
    assert 0 < good["multi_resolution_stft"] < min(1.0, far / 2)


def test_it_flags_copies_of_training_windows(reference):
    train = evaluation.embeddings(reference[:3])
    copies = evaluation.novelty(reference[:1], train, heldout=reference[3:])
    fresh = evaluation.novelty(reference[3:4], train, heldout=reference[4:])
    assert copies["flagged"] and copies["near_copy_fraction"] > 0.9
    assert not fresh["flagged"]


def test_it_computes_distances_that_are_zero_for_identical_sets():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 8))
    b = rng.standard_normal((400, 8))
    assert evaluation.frechet_distance(a, a) < 1e-4
    assert evaluation.frechet_distance(a, a + 1.0) > 7.9
    assert abs(evaluation.kernel_distance(a, b)) < 0.1 * evaluation.kernel_distance(a, a + 1.0)


def test_it_evaluates_a_folder_from_the_command_line(tmp_path, reference, capsys):
    ref = tmp_path / "ref"
    gen = tmp_path / "gen"
    for i, clip in enumerate(reference[:4]):
        (ref / "music").mkdir(parents=True, exist_ok=True)
        gen.mkdir(exist_ok=True)
        import soundfile as sf

        sf.write(ref / "music" / f"{i}.wav", clip, SR)
        sf.write(gen / f"{i}.wav", evaluation.shuffle_chunks(clip, i), SR)
    out = tmp_path / "report.json"
    call_command(
        "evaluate",
        "--reference",
        str(ref),
        "--generated",
        str(gen),
        "--seconds",
        "5",
        "--out",
        str(out),
    )
    report = json.loads(out.read_text())
    assert report["generated"]["frechet"] > report["baselines"]["honest_reconstruction"]["frechet"]
    assert "spectral_convergence" in report["vocoder"]
    assert json.loads(capsys.readouterr().out)["reference_clips"] == 4


def test_it_generates_and_scores_modes_from_the_command_line(tmp_path, reference, capsys):
    import soundfile as sf

    from tests.generator.trained_helpers import tiny_unet

    tiny_unet(tmp_path / "unet")
    ref = tmp_path / "ref"
    ref.mkdir()
    for i, clip in enumerate(reference[:3]):
        sf.write(ref / f"{i}.wav", clip[: 3 * SR], SR)
    call_command(
        "evaluate",
        "--reference",
        str(ref),
        "--model",
        str(tmp_path / "unet"),
        "--modes",
        "remix,continue",
        "--steps",
        "1",
        "--seconds",
        "3",
        "--train",
        str(ref),
    )
    report = json.loads(capsys.readouterr().out)
    for mode in ("remix", "continue"):
        assert report[mode]["frechet"] > 0 and "beats_shuffle_baseline" in report[mode]
        assert "chroma_similarity_chance" in report[mode] and "novelty" in report[mode]
        assert "kad_beats_shuffled_beats" in report[mode] and "onset_rate" in report[mode]["rhythm"]
    assert -1.0 <= report["continue"]["replay"] <= 1.0
    assert 0.0 < report["continue"]["replay_real"] <= 1.0
    assert report["real_rhythm"]["onset_rate_max"] > 0


def test_it_scores_the_music_network_with_style_prompts(tmp_path, reference, capsys):
    import soundfile as sf

    from tests.generator.trained_helpers import tiny_musicnet

    tiny_musicnet(tmp_path / "music", window=64)
    ref = tmp_path / "ref"
    ref.mkdir()
    for i, clip in enumerate(reference[:2]):
        sf.write(ref / f"{i}.wav", clip[: 2 * SR], SR)
    args = ["--reference", str(ref), "--model", str(tmp_path / "music"), "--modes", "dream"]
    call_command("evaluate", *args, "--steps", "1", "--seconds", "2", "--styles", "orchestral")
    report = json.loads(capsys.readouterr().out)
    assert report["dream"]["styles_asked"] == ["orchestral"]
    assert 0.0 <= report["dream"]["style_accuracy"] <= 1.0  # the tagger knows "orchestral"


def test_it_scores_shuffled_beats_worse_than_honest_and_better_than_noise(scores):
    beats = scores["shuffled_beats"]
    assert beats["kernel"] > scores["honest_reconstruction"]["kernel"]
    assert beats["kernel"] < scores["white_noise"]["kernel"]


def test_it_finds_a_replayed_prompt_and_not_real_music_going_on():
    samples = audio.load(real_recording("brahms_hungarian_dance_5.ogg"))
    prompt, after = samples[5 * SR : 15 * SR], samples[15 * SR : 25 * SR]
    looped = np.tile(prompt[-4 * SR :], 3)
    assert evaluation.replay(looped, prompt) > 0.97
    assert evaluation.replay(after, prompt) < evaluation.replay(looped, prompt) - 0.05
    assert evaluation.replay(evaluation.white_noise(10 * SR), prompt) < 0.3


def test_it_gives_silence_and_noise_rhythm_outside_the_range_of_music(reference):
    real = evaluation.rhythm_summary(reference)
    silence = evaluation.rhythm_figures(np.zeros(5 * SR, dtype=np.float32))
    noise = evaluation.rhythm_figures(evaluation.white_noise(5 * SR))
    assert silence["onset_rate"] == 0.0 < real["onset_rate_min"]
    assert noise["tempo_strength"] < real["tempo_strength_min"]


def test_it_reads_aisfx_weights_without_pickle(tmp_path, reference, monkeypatch):
    import importlib.util

    from generator.engine import checkpoints

    if importlib.util.find_spec("aisfx") is None:
        pytest.skip("aisfx is not installed (pip install --no-deps aisfx)")

    evaluation.convert_aisfx(tmp_path / "aisfx")  # the one explicit pickle read

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr("torch.load", refuse)
    ckpt = checkpoints.load(tmp_path / "aisfx")
    emb = evaluation.aisfx_embeddings(reference[0], ckpt)
    assert emb.shape[1] == 512 and np.isfinite(emb).all()
