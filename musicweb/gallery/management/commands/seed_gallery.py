"""Fill the gallery with many users, tracks, ratings and plays, fast, for benchmarks and demos.

Tracks share a few real audio files and spectrograms (rendered once), so ten
thousand tracks cost seconds and a few hundred kilobytes; rows are written with
bulk_create, and the rating counts and Bayesian scores with one UPDATE.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from generator.engine.catalog import MODE_INFO
from generator.models import ModelVersion
from musicweb.gallery.models import PRIOR_MEAN, PRIOR_VOTES, Play, Rating, Track

WORDS = [
    "night",
    "drive",
    "rain",
    "piano",
    "dawn",
    "echo",
    "glass",
    "river",
    "ember",
    "drift",
    "hollow",
    "bloom",
    "static",
    "velvet",
    "orbit",
    "tide",
    "lantern",
    "moss",
    "signal",
    "harbor",
    "ember",
    "canyon",
    "neon",
    "fog",
    "cedar",
]
TAGS = [
    "piano",
    "ambient",
    "drone",
    "loop",
    "calm",
    "dark",
    "bright",
    "choir",
    "strings",
    "noise",
    "beat",
    "texture",
]
SHARED = 4
BATCH = 2000


def _shared_files(seconds: float = 4.0) -> list[tuple[str, str, list[float]]]:
    """Render a few short tones once; every seeded track points at one of them."""
    from generator.engine import audio

    files = []
    for n in range(SHARED):
        t = np.arange(int(seconds * audio.SAMPLE_RATE)) / audio.SAMPLE_RATE
        freq = 110.0 * (n + 2)
        samples = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
        samples = (0.25 * samples * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
        folder = f"tracks/seed/{n}"
        wav = default_storage.save(f"{folder}/track.wav", ContentFile(audio.encode(samples, "wav")))
        png = audio.spectrogram_png(audio.log_mel(samples).numpy())
        image = default_storage.save(f"{folder}/spectrogram.png", ContentFile(png))
        files.append((wav, image, audio.waveform_peaks(samples)))
    return files


class Command(BaseCommand):
    help = "Bulk-create users, published tracks, ratings and plays for the gallery."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tracks", type=int, default=1000)
        parser.add_argument("--ratings", type=int, default=10000)
        parser.add_argument("--users", type=int, default=0, help="Default: enough for ratings.")
        parser.add_argument("--plays", type=int, default=0, help="Recent plays (default tracks*2).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--community",
            action="store_true",
            help="Listeners with hidden style tastes who play and rate their styles higher; "
            "tracks get style tags and embeddings (see musicweb/recommend/community.py).",
        )

    def handle(
        self,
        *args,
        tracks: int,
        ratings: int,
        users: int,
        plays: int,
        seed: int,
        community: bool = False,
        **kw,
    ):
        if tracks < 1 or ratings < 0:
            raise CommandError("--tracks must be at least 1 and --ratings not negative.")
        rng = random.Random(seed)
        started = time.monotonic()
        if community:
            users = users or max(20, ratings // 25)
        users = users or max(20, min(2000, ratings // max(tracks, 1) * 4 + 50))
        if ratings > users * (tracks - 1):
            raise CommandError("More ratings than user-track pairs; raise --users.")
        plays = plays or tracks * 2
        files = _shared_files()
        version = ModelVersion.objects.active().first()
        modes = list(MODE_INFO)
        now = timezone.now()
        run = secrets.token_hex(3)
        password = make_password(None)

        with transaction.atomic():
            User = get_user_model()
            people = User.objects.bulk_create(
                [User(username=f"seed{run}-{i}", password=password) for i in range(users)],
                batch_size=BATCH,
            )
            if not people[0].pk:  # backends that return no ids
                people = list(User.objects.filter(username__startswith=f"seed{run}-"))
            rows = []
            for i in range(tracks):
                wav, image, peaks = files[i % SHARED]
                mode = rng.choice(modes)
                published_at = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
                rows.append(
                    Track(
                        owner=rng.choice(people),
                        title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}",
                        description=f"Seeded track number {i}.",
                        tags=", ".join(rng.sample(TAGS, rng.randint(1, 3))),
                        mode=mode,
                        model_version=version,
                        recipe={"mode": mode, "model": version.label if version else "", "seed": i},
                        audio=wav,
                        spectrogram=image,
                        peaks=peaks,
                        duration=4.0,
                        published=rng.random() < 0.95,
                        published_at=published_at,
                        featured=i < 6,
                        play_count=rng.randrange(500),
                    )
                )
            simulated = None
            if community:
                simulated = self._simulate(rows, people, ratings, seed)
            created = Track.objects.bulk_create(rows, batch_size=BATCH)
            if not created[0].pk:
                created = list(Track.objects.filter(owner__username__startswith=f"seed{run}-"))
            track_ids = [t.pk for t in created]
            people_ids = [p.pk for p in people]
            if simulated is not None:
                plays = self._write_community(simulated, track_ids, people_ids, now)
                self._recount(track_ids)
                Track.objects.published().refresh_trending()
                self.stdout.write(
                    f"Seeded a community of {users} listeners, {tracks} tracks, {ratings} ratings "
                    f"and {plays} plays in {time.monotonic() - started:.1f} s."
                )
                return

            pairs: set[tuple[int, int]] = set()
            while len(pairs) < ratings:
                pairs.add((rng.choice(track_ids), rng.choice(people_ids)))
            Rating.objects.bulk_create(
                [
                    Rating(
                        track_id=t, user_id=u, stars=rng.choices(range(1, 6), (1, 2, 4, 6, 4))[0]
                    )
                    for t, u in pairs
                ],
                batch_size=BATCH,
            )
            hour = now.replace(minute=0, second=0, microsecond=0)
            Play.objects.bulk_create(
                [
                    Play(
                        track_id=rng.choice(track_ids),
                        listener=f"s:seed{run}-{n}",
                        hour=hour - timedelta(hours=rng.randrange(24 * 10)),
                    )
                    for n in range(plays)
                ],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
            self._recount(track_ids)
            Track.objects.published().refresh_trending()
        self.stdout.write(
            f"Seeded {users} users, {tracks} tracks, {ratings} ratings and {plays} plays "
            f"in {time.monotonic() - started:.1f} s."
        )

    def _simulate(self, rows: list[Track], people: list, ratings: int, seed: int):
        """Give the unsaved tracks the community's styles, tags and embeddings."""
        from musicweb.recommend.community import simulate

        index = {p.pk: i for i, p in enumerate(people)}
        owners = np.array([index[t.owner.pk] for t in rows])
        simulated = simulate(len(rows), len(people), ratings, seed=seed, owners=owners)
        for track, tags, embedding in zip(rows, simulated.tags, simulated.embeddings, strict=True):
            track.tags = ", ".join(tags)
            track.embedding = [round(float(x), 4) for x in embedding]
            track.published = True
            track.play_count = 0
        return simulated

    def _write_community(self, simulated, track_ids, people_ids, now) -> int:
        """Ratings in the community's order (row ids are time), and plays as signed-in plays."""
        Rating.objects.bulk_create(
            [
                Rating(track_id=track_ids[t], user_id=people_ids[p], stars=stars)
                for p, t, stars in simulated.ratings
            ],
            batch_size=BATCH,
        )
        hour = now.replace(minute=0, second=0, microsecond=0)
        total = len(simulated.plays)
        created = Play.objects.bulk_create(
            [
                Play(
                    track_id=track_ids[t],
                    listener=f"u:{people_ids[p]}",
                    hour=hour - timedelta(hours=total - n),
                )
                for n, (p, t) in enumerate(simulated.plays)
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        counts: dict[int, int] = {}
        for _, t in simulated.plays:
            counts[track_ids[t]] = counts.get(track_ids[t], 0) + 1
        for track_id, count in counts.items():
            Track.objects.filter(pk=track_id).update(play_count=count)
        return len(created)

    def _recount(self, track_ids: list[int]) -> None:
        """Set rating_sum, rating_count and score from the rows, in SQL."""
        per_track = Rating.objects.filter(track=OuterRef("pk")).order_by().values("track")
        votes = per_track.annotate(n=Count("pk")).values("n")
        stars = per_track.annotate(s=Sum("stars")).values("s")
        seeded = Track.objects.filter(pk__gte=min(track_ids), pk__lte=max(track_ids))
        seeded.update(
            rating_count=Coalesce(Subquery(votes, output_field=IntegerField()), 0),
            rating_sum=Coalesce(Subquery(stars, output_field=IntegerField()), 0),
        )
        seeded.update(
            score=(Value(PRIOR_VOTES * PRIOR_MEAN) + Cast(F("rating_sum"), FloatField()))
            / Cast(PRIOR_VOTES + F("rating_count"), FloatField())
        )
