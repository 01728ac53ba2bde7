"""Tracks with embeddings in two clear styles, for recommendation tests."""

from __future__ import annotations

import numpy as np

from musicweb.gallery.models import Play, Track
from tests.factories import make_track

SIZE = 8


def style_embedding(style: int, wobble: float = 0.0) -> list[float]:
    """A unit-ish vector near axis `style`; wobble moves it toward the next axis."""
    vector = np.zeros(SIZE)
    vector[style] = 1.0
    vector[(style + 1) % SIZE] = wobble
    return [float(x) for x in vector]


def make_styled(owner, title: str, style: int, wobble: float = 0.0, **fields) -> Track:
    tags = fields.pop("tags", ["chiptune", "orchestral", "ambient"][style % 3])
    fields.setdefault("embedding", style_embedding(style, wobble))
    return make_track(owner, title, tags=tags, **fields)


def play(user, track: Track) -> None:
    """A signed-in play, as the play endpoint counts it."""
    track.count_play(f"u:{user.pk}")


def plays_of(user):
    return Play.objects.filter(listener=f"u:{user.pk}")
