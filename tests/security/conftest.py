"""A small world to attack: Alice's private clip, tracks and job; Bob; staff Charlie.

Files are tiny and written straight to storage (no decoding), so a table of
a hundred requests costs little.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import soundfile as sf
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generator.models import GenerationJob, ModelVersion
from musicweb.gallery.models import Track
from musicweb.library.models import Clip, clip_folder
from tests.gallery.helpers import _PNG, _wav, make_track


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def make_clip(owner, title: str = "Secret sketch", **fields) -> Clip:
    clip = Clip(
        owner=owner,
        title=title,
        original_name=fields.pop("original_name", "secret.wav"),
        format="WAV",
        duration=0.5,
        sample_rate=22_050,
        channels=1,
        peaks=[0.1, 0.4],
        **fields,
    )
    folder = clip_folder(clip)
    flac = io.BytesIO()
    sf.write(flac, [0.0] * 1000, 22_050, format="FLAC")
    clip.original = default_storage.save(f"{folder}/original.wav", ContentFile(_wav()))
    clip.analysis = default_storage.save(f"{folder}/analysis.flac", ContentFile(flac.getvalue()))
    clip.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(_PNG))
    clip.save()
    return clip


def make_job(owner, clip, title: str = "Variation of Secret sketch", **fields) -> GenerationJob:
    return GenerationJob.objects.create(
        owner=owner,
        title=title,
        mode="variation",
        model_version=ModelVersion.objects.default_for("variation"),
        clip=clip,
        **{"source_names": [clip.title], "seconds": 2, "seed": 7, **fields},
    )


@dataclass
class World:
    alice: object
    bob: object
    charlie: object
    clip: Clip
    private_track: Track
    public_track: Track
    job: GenerationJob
    model: ModelVersion


@pytest.fixture
def world(alice, bob, charlie) -> World:
    clip = make_clip(alice)
    return World(
        alice=alice,
        bob=bob,
        charlie=charlie,
        clip=clip,
        private_track=make_track(alice, "Unreleased", published=False),
        public_track=make_track(alice, "Released"),
        job=make_job(alice, clip),
        model=ModelVersion.objects.create(name="draft-net", arch="texture", modes=["variation"]),
    )
