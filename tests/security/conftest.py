"""A small world to attack: Alice's private clip, tracks and job; Bob; staff Charlie.

The factories write files straight to storage (no decoding), so a table of
a hundred requests costs little.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from generator.models import GenerationJob, ModelVersion
from musicweb.gallery.models import Track
from musicweb.library.models import Clip
from tests.factories import make_clip, make_job, make_track


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
    clip = make_clip(alice, "Secret sketch", original_name="secret.wav")
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
