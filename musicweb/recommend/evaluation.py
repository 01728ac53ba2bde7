"""Leave-last-liked-out evaluation of the recommender against popularity and random picks.

For every listener with at least two liked tracks (4 or 5 stars), the last one they
liked is hidden: its rating and plays are taken out of everything the recommender
sees (the rating matrix and popularity too), and each method ranks the catalogue
for them under the same rules (never their own, rated or played tracks). A hit is
the hidden track in the top k; NDCG@k rewards a hit by 1/log2(1 + its rank).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from musicweb.recommend import ranking

LIKED = 4


@dataclass(frozen=True)
class Result:
    method: str
    hit_rate: float
    ndcg: float
    listeners: int


def holdout(ratings: list[tuple[int, int, int]]) -> dict[int, int]:
    """Each listener's last liked track (ratings in time order): {user: track}."""
    liked: dict[int, list[int]] = defaultdict(list)
    for user, track, stars in ratings:
        if stars >= LIKED:
            liked[user].append(track)
    return {user: tracks[-1] for user, tracks in liked.items() if len(tracks) >= 2}


def _gain(ranked: list[int], target: int, k: int) -> tuple[float, float]:
    if target in ranked[:k]:
        return 1.0, 1.0 / np.log2(ranked.index(target) + 2)
    return 0.0, 0.0


def evaluate(
    catalog: ranking.Catalog,
    tastes: dict[int, ranking.Taste],
    held: dict[int, int],
    k: int = 10,
    seed: int = 1,
    blend: ranking.Blend = ranking.Blend(),  # noqa: B008 (frozen)
) -> list[Result]:
    """Hit rate and NDCG@k of ours, most popular and random, over the same listeners."""
    rng = np.random.default_rng(seed)
    popular = np.argsort(-catalog.popularity, kind="stable")
    sums = {name: [0.0, 0.0] for name in ("For you (ours)", "Most popular", "Random")}
    counted = 0
    for user, target in held.items():
        taste = tastes[user]
        if target not in catalog.position:
            continue
        counted += 1
        blocked = {*taste.ratings, *taste.plays, *taste.own}

        def fine(j: int, blocked=blocked, user=user) -> bool:
            return catalog.owners[j] != user and int(catalog.ids[j]) not in blocked

        most_popular = []
        for j in popular:
            if fine(j):
                most_popular.append(int(catalog.ids[j]))
                if len(most_popular) == k:
                    break
        draw = rng.choice(
            len(catalog), size=min(len(catalog), k + len(blocked) + 16), replace=False
        )
        randomly = [int(catalog.ids[j]) for j in draw if fine(j)][:k]
        ours = [p.track_id for p in ranking.rank(catalog, taste, k, blend, explain=False)]
        for name, ranked in (
            ("For you (ours)", ours),
            ("Most popular", most_popular),
            ("Random", randomly),
        ):
            hit, gain = _gain(ranked, target, k)
            sums[name][0] += hit
            sums[name][1] += gain
    return [
        Result(name, hit / max(counted, 1), gain / max(counted, 1), counted)
        for name, (hit, gain) in sums.items()
    ]
