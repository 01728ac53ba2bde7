"""A simulated community of listeners with hidden tastes, to measure recommendations against.

Each track has one style, an appeal everyone hears alike, tags that name its style
most of the time (with other tags mixed in), and an embedding near its style's
centre, as a tagger's would be. Each listener secretly prefers one or two styles:
most of what they play is in them, and they rate tracks of their styles higher
(plus the track's appeal, plus noise). Nothing here knows about the recommender,
so a recommender that learns the hidden tastes from the rows shows it in the hit rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STYLES = ("piano", "ambient", "drone", "choir", "strings", "noise", "beat", "loop")
OTHER_TAGS = ("calm", "dark", "bright", "texture")
EMBEDDING_SIZE = 32
STYLE_TAG_CHANCE = 0.7
OWN_STYLE_SHARE = 0.75
EMBEDDING_NOISE = 0.8
STAR_NOISE = 0.8


@dataclass(frozen=True)
class Community:
    """Tracks by index and listeners by index: what to write as rows."""

    styles: np.ndarray  # int[T]: each track's style, an index into STYLES
    appeal: np.ndarray  # float[T]
    tags: list[list[str]]  # per track
    embeddings: np.ndarray  # float32[T, EMBEDDING_SIZE]
    tastes: list[tuple[int, ...]]  # per listener: their hidden styles
    ratings: list[tuple[int, int, int]]  # (listener, track, stars), in the order given
    plays: list[tuple[int, int]]  # (listener, track): every rated track, and some more


def simulate(
    tracks: int, listeners: int, ratings: int, seed: int = 1, owners: np.ndarray | None = None
) -> Community:
    """Draw a community; owners int[T] (listener index or -1) keeps people off their own tracks."""
    rng = np.random.default_rng(seed)
    styles = rng.integers(len(STYLES), size=tracks)
    appeal = rng.normal(0, 1, size=tracks)
    centres = rng.normal(0, 1, size=(len(STYLES), EMBEDDING_SIZE))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.normal(0, EMBEDDING_NOISE / np.sqrt(EMBEDDING_SIZE), size=(tracks, EMBEDDING_SIZE))
    embeddings = (centres[styles] + noise).astype(np.float32)
    tags = []
    for style in styles:
        extra = list(rng.choice(OTHER_TAGS, size=rng.integers(0, 3), replace=False))
        named = [STYLES[style]] if rng.random() < STYLE_TAG_CHANCE else []
        tags.append(named + [str(t) for t in extra] or [str(rng.choice(OTHER_TAGS))])

    by_style = [np.flatnonzero(styles == s) for s in range(len(STYLES))]
    weight = np.exp(0.5 * appeal)
    tastes = [
        tuple(int(s) for s in rng.choice(len(STYLES), size=rng.integers(1, 3), replace=False))
        for _ in range(listeners)
    ]
    per_listener = np.full(listeners, ratings // max(listeners, 1))
    per_listener[: ratings - per_listener.sum()] += 1
    owners = owners if owners is not None else np.full(tracks, -1)

    rated: list[list[tuple[int, int]]] = []
    for person, taste in enumerate(tastes):
        mine = np.concatenate([by_style[s] for s in taste])
        wanted = int(min(per_listener[person], tracks - 1))
        chosen: dict[int, None] = {}
        while len(chosen) < wanted:
            pool = mine if rng.random() < OWN_STYLE_SHARE and len(mine) else np.arange(tracks)
            p = weight[pool] / weight[pool].sum()
            track = int(rng.choice(pool, p=p))
            if owners[track] != person:
                chosen[track] = None
        stars = []
        for track in chosen:
            liked = 1.5 if styles[track] in taste else -0.75
            value = 3 + liked + 0.5 * appeal[track] + rng.normal(0, STAR_NOISE)
            stars.append((track, int(np.clip(np.rint(value), 1, 5))))
        rated.append(stars)

    # Interleave listeners so row order is time order for everyone at once.
    order = []
    for person, stars in enumerate(rated):
        times = np.sort(rng.random(len(stars)))
        order += [(t, person, track, s) for t, (track, s) in zip(times, stars, strict=True)]
    order.sort()
    rating_rows = [(person, track, s) for _, person, track, s in order]
    plays = [(person, track) for person, track, _ in rating_rows]
    for person, taste in enumerate(tastes):
        mine = np.concatenate([by_style[s] for s in taste])
        for track in rng.choice(mine, size=min(len(mine), max(1, len(rated[person]) // 4))):
            if owners[track] != person:
                plays.append((person, int(track)))
    return Community(styles, appeal, tags, embeddings, tastes, rating_rows, plays)
