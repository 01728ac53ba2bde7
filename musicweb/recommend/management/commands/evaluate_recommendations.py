"""Measure For you offline: hit rate and NDCG@10 against most-popular and random picks.

manage.py seed_gallery --community --tracks 2000 --ratings 20000
manage.py evaluate_recommendations
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict

from django.core.management.base import BaseCommand, CommandError

from musicweb.gallery.models import Play, Rating, Track
from musicweb.recommend import data, evaluation, ranking
from musicweb.recommend.models import StylePick, plays_of  # noqa: F401


class Command(BaseCommand):
    help = "Hold out each listener's last liked track; report hit rate and NDCG@k per method."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--listeners", type=int, default=0, help="At most this many (0: all).")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, k: int, listeners: int, seed: int, **kw):
        if k < 1 or listeners < 0:
            raise CommandError("--k must be at least 1 and --listeners not negative.")
        started = time.monotonic()
        public = Track.objects.published()
        ratings = list(
            Rating.objects.filter(track__in=public)
            .order_by("created", "id")
            .values_list("user_id", "track_id", "stars")
        )
        held = evaluation.holdout(ratings)
        if listeners:
            held = dict(sorted(held.items())[:listeners])
        if not held:
            raise CommandError("No listener has two liked tracks: seed_gallery --community first.")
        hidden = set(held.items())
        training = [r for r in ratings if (r[0], r[1]) not in hidden]

        plays: dict[int, Counter] = defaultdict(Counter)
        for listener, track in Play.objects.filter(listener__startswith="u:").values_list(
            "listener", "track_id"
        ):
            user = int(listener[2:])
            if (user, track) not in hidden:
                plays[user][track] += 1
        popularity: Counter = Counter()
        for user_plays in plays.values():
            popularity.update(user_plays)
        for _, track, _ in training:
            popularity[track] += 3

        catalog = data.load_catalog(ratings=training, popularity=popularity)
        rated: dict[int, dict[int, int]] = defaultdict(dict)
        for user, track, stars in training:
            rated[user][track] = stars
        own: dict[int, set[int]] = defaultdict(set)
        for pk, owner in Track.objects.values_list("pk", "owner_id"):
            own[owner].add(pk)
        styles: dict[int, list[str]] = defaultdict(list)
        for user, style in StylePick.objects.values_list("user_id", "style"):
            styles[user].append(style)
        tastes = {
            user: ranking.Taste(
                ratings=rated[user],
                plays=dict(plays[user]),
                own=frozenset(own[user]),
                styles=tuple(styles[user]),
                user_id=user,
            )
            for user in held
        }
        results = evaluation.evaluate(catalog, tastes, held, k=k, seed=seed)
        self.stdout.write(
            f"{len(catalog)} tracks, {len(ratings)} ratings, {results[0].listeners} listeners, "
            f"k={k}, {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(f"| Method | Hit rate@{k} | NDCG@{k} |")
        self.stdout.write("|---|---|---|")
        for result in results:
            self.stdout.write(f"| {result.method} | {result.hit_rate:.3f} | {result.ndcg:.3f} |")
        ours, popular = results[0], results[1]
        ratio = ours.hit_rate / popular.hit_rate if popular.hit_rate else float("inf")
        self.stdout.write(f"Hit rate, ours / most popular: {ratio:.2f}x")
