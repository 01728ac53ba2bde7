"""The tagger: labels with probabilities and embeddings for real clips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generator.engine import audio, checkpoints, tagging
from generator.engine.errors import InvalidInput
from tests.conftest import real_recording
from tests.generator.trained_helpers import tiny_tagger


@pytest.fixture(scope="module")
def clips():
    names = (
        "brahms_hungarian_dance_5.ogg",
        "macleod_vibe_ace.ogg",
        "sorohanro_solo_trumpet.ogg",
        "librispeech_198-209-0000.ogg",
    )
    return {n.split("_")[0]: audio.load(real_recording(n))[: 20 * audio.SAMPLE_RATE] for n in names}


def test_it_tags_real_clips_with_probabilities(clips):
    classes = checkpoints.default("tagger").extra["classes"]
    for clip in clips.values():
        tags = tagging.tag(clip)
        assert [label for label, _ in tags] != [] and {label for label, _ in tags} == set(classes)
        probs = [p for _, p in tags]
        assert probs == sorted(probs, reverse=True)
        assert abs(sum(probs) - 1) < 1e-3
    assert tagging.tag(clips["brahms"], top=2)[0][0] == "orchestral"


def test_it_embeds_clips_so_alike_is_nearer(clips):
    brahms = tagging.embed(clips["brahms"])
    assert brahms.dtype == np.float32 and abs(float(np.linalg.norm(brahms)) - 1) < 1e-4
    # Two halves of one piece are nearer each other than to speech.
    half = len(clips["brahms"]) // 2
    a, b = tagging.embed(clips["brahms"][:half]), tagging.embed(clips["brahms"][half:])
    speech = tagging.embed(clips["librispeech"])
    assert float(a @ b) > float(a @ speech)


def test_it_bounds_the_tagging_work_of_a_long_track(clips):
    """Tagging cost stays bounded: a long track is sampled down to max_windows windows.

    Its speed is measured by benchmarks/bench_trained.py, not asserted here.
    """
    ckpt = checkpoints.default("tagger")
    track = np.tile(clips["macleod"], 9)[: 180 * audio.SAMPLE_RATE]
    assert tagging.windows(track, ckpt, max_windows=16).shape[0] == 16
    assert tagging.windows(track, ckpt).shape[0] <= 256
    assert tagging.tag(track)


def test_it_handles_short_and_empty_audio():
    short = np.sin(np.arange(4000) * 0.05).astype(np.float32) * 0.3
    assert len(tagging.tag(short)) == len(checkpoints.default("tagger").extra["classes"])
    with pytest.raises(InvalidInput):
        tagging.tag(np.zeros(0, dtype=np.float32))


def test_it_gives_one_embedding_per_window(clips):
    five_seconds = clips["macleod"][: 5 * audio.SAMPLE_RATE]
    emb = tagging.window_embeddings(five_seconds)
    assert emb.shape == (4, checkpoints.default("tagger").model.embed_dim)
    assert np.isfinite(emb).all()


def test_it_reads_audio_at_each_checkpoints_own_parameters(tmp_path, clips):
    brahms = clips["brahms"]
    for params in (audio.FIRST_RELEASE, audio.DEFAULT):
        ckpt = tiny_tagger(tmp_path / str(params.sample_rate), ["a", "b"], params=params)
        batch = tagging.windows(brahms, ckpt)
        assert batch.shape[1:] == (1, params.n_mels, 128)
        assert [label for label, _ in tagging.tag(brahms, model=ckpt)] != []


def test_it_gives_a_model_the_spectrogram_it_was_trained_on():
    """44.1 kHz input is resampled to the model's rate: its windows match a direct analysis."""
    ckpt = checkpoints.default("tagger")
    params = ckpt.audio_params
    path = real_recording("brahms_hungarian_dance_5.ogg")
    decoded = audio.decode(path)
    at_model_rate = audio.resample(
        audio.loudness_normalise(audio.to_mono(decoded.samples)), audio.SAMPLE_RATE,
        params.sample_rate,
    )[: 10 * params.sample_rate]  # fmt: skip
    served = audio.load(path)[: 10 * audio.SAMPLE_RATE]  # what clips hold: 44.1 kHz
    direct = torch.from_numpy(at_model_rate)
    expected = tagging.MelNorm(ckpt.extra["mel_mean"], ckpt.extra["mel_std"]).encode(
        audio.log_mel(direct, params)
    )
    got = tagging.windows(served, ckpt)[0, 0]
    assert float((got - expected[:, : got.shape[-1]]).abs().mean()) < 0.05


def test_it_tags_the_mid_of_stereo_audio(clips):
    mono = clips["macleod"][: 5 * audio.SAMPLE_RATE]
    wide = np.stack([mono * 1.5, mono * 0.5])  # the same mid, panned left
    assert tagging.tag(wide) == tagging.tag(mono)
