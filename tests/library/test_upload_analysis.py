"""An upload is analysed once: one log-mel, one tagger pass, and the embedding is kept."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import soundfile as sf

from generator.autotag import MAX_TAGS
from generator.engine import audio, checkpoints, tagging
from generator.engine.nets.tagger import Tagger
from musicweb.library.models import Clip
from tests.conftest import real_recording
from tests.library.helpers import upload_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Count calls of the real log-mel and the real tagger network, leaving them to work."""
    counts: Counter = Counter()
    log_mel, embed = audio.log_mel, Tagger.embed

    def counted_log_mel(*args, **kwargs):
        counts["log_mel"] += 1
        return log_mel(*args, **kwargs)

    def counted_embed(self, x):
        counts["tagger"] += 1
        return embed(self, x)

    monkeypatch.setattr(audio, "log_mel", counted_log_mel)
    monkeypatch.setattr(Tagger, "embed", counted_embed)
    return counts


def test_it_computes_one_log_mel_and_runs_the_tagger_once(client, alice, calls):
    client.force_login(alice)
    response = upload_path(client, real_recording("sorohanro_solo_trumpet.ogg"))
    assert response.status_code == 201, response.content
    # One log-mel serves the picture and the tagger when the tagger was trained on the front
    # end's parameters; a tagger trained on others (the first release's) needs its own.
    tagger_params = checkpoints.default("tagger").audio_params
    assert calls == {"log_mel": 1 if tagger_params == audio.DEFAULT else 2, "tagger": 1}


def test_it_keeps_the_clips_embedding_and_the_same_tags_as_before(client, alice):
    client.force_login(alice)
    upload_path(client, real_recording("brahms_hungarian_dance_5.ogg"))
    clip = Clip.objects.get()
    with clip.analysis.open("rb") as handle:
        prepared = sf.read(handle, dtype="float32")[0]
    # The separate tagger passes the upload used to make give the same answers.
    expected = tagging.embed(prepared)
    assert len(clip.embedding) == len(expected) > 0
    assert np.linalg.norm(clip.embedding) == pytest.approx(1.0, abs=1e-4)
    # The stored analysis is FLAC (16 bit), so the audio differs from the upload's by rounding.
    assert np.dot(clip.embedding, expected) > 0.999
    shown = tagging.analyse(prepared).shown[:MAX_TAGS]
    labels = [label for label, _ in shown if label != "not_music"]
    assert clip.tag_list == labels and "orchestral" in labels


def test_it_gives_tags_and_embedding_from_one_pass_equal_to_the_separate_calls():
    prepared = audio.load(real_recording("sorohanro_solo_trumpet.ogg"))
    together = tagging.analyse(prepared, mel=audio.log_mel(prepared))
    assert together.tags == tagging.tag(prepared)
    np.testing.assert_array_equal(together.embedding, tagging.embed(prepared))
