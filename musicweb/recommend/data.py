"""From rows to the ranking's arrays, and the picks back to rows, with the caching speed needs.

The catalog (every public track's vector and the rating matrix) is built once per
process and rebuilt when a track changes (a token in the shared cache) or every
CATALOG_SECONDS (ratings drift in). A listener's own history is read fresh on
every request that is not answered from their cache entry, and that entry's key
carries a token bumped by every change to their history (signals.py): deleting
history, rating or skipping changes their recommendations at once. The final
rows are re-read through Track.objects.published(), so a track hidden a moment
ago is never shown, whatever the catalog still holds.
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid

from django.core.cache import cache
from django.db.models import Count, Max

from musicweb.gallery.models import Rating, Track
from musicweb.library.models import Clip
from musicweb.recommend import ranking
from musicweb.recommend.models import Skip, StylePick, plays_of
from musicweb.tags import parse_tags

CATALOG_SECONDS = 600
PICKS_SECONDS = 600
CATALOG_KEY = "recommend:catalog"
STYLE_CHOICES = 12


def _token(key: str) -> str:
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def bump(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)


def user_token_key(user_id: int) -> str:
    return f"recommend:user:{user_id}"


def catalog_version() -> str:
    """What the catalog is built from: the shared token, the count and newest id of public
    tracks (so a publish or hide seen by another process, whose cache this one may not
    share, is seen here too) and the period."""
    public = Track.objects.published().aggregate(n=Count("pk"), last=Max("pk"))
    period = int(time.time() // CATALOG_SECONDS)
    return f"{_token(CATALOG_KEY)}.{public['n']}.{public['last']}.{period}"


def catalog(version: str | None = None) -> ranking.Catalog:
    """The current catalog of public tracks (shared by the process's requests)."""
    return _catalog(version or catalog_version())


@functools.lru_cache(maxsize=1)
def _catalog(version: str) -> ranking.Catalog:
    return load_catalog()


def load_catalog(ratings=None, popularity: dict[int, float] | None = None) -> ranking.Catalog:
    """Build the catalog from the database.

    ratings (user, track, stars) and popularity {track: weight} may be given instead of
    the rows' own (the evaluation gives them with the held-out tracks taken out).
    """
    rows = list(
        Track.objects.published()
        .order_by("pk")
        .values_list("pk", "owner_id", "title", "tags", "embedding", "play_count", "rating_count")
    )
    if ratings is None:
        ratings = Rating.objects.filter(track__in=Track.objects.published()).values_list(
            "user_id", "track_id", "stars"
        )
    return ranking.build_catalog(
        ids=[r[0] for r in rows],
        owners=[r[1] for r in rows],
        titles=[r[2] for r in rows],
        tags=[parse_tags(r[3]) for r in rows],
        embeddings=[r[4] or [] for r in rows],
        popularity=[
            popularity.get(r[0], 0) if popularity is not None else r[5] + 3 * r[6] for r in rows
        ],
        ratings=ratings,
    )


def clip_embeddings(user) -> tuple[tuple[str, list[float]], ...]:
    """The user's clips' tagger embeddings, where clips carry them."""
    if not any(f.name == "embedding" for f in Clip._meta.get_fields()):
        return ()
    rows = Clip.objects.owned_by(user).exclude(embedding=[]).values_list("title", "embedding")
    return tuple((title, embedding) for title, embedding in rows[:50] if embedding)


def taste_for(user) -> ranking.Taste:
    """Everything the user has told us, read now."""
    plays: dict[int, int] = {}
    for track_id in plays_of(user).values_list("track_id", flat=True):
        plays[track_id] = plays.get(track_id, 0) + 1
    return ranking.Taste(
        ratings=dict(Rating.objects.filter(user=user).values_list("track_id", "stars")),
        plays=plays,
        skips=frozenset(Skip.objects.filter(user=user).values_list("track_id", flat=True)),
        own=frozenset(Track.objects.filter(owner=user).values_list("pk", flat=True)),
        clips=clip_embeddings(user),
        styles=tuple(StylePick.objects.filter(user=user).values_list("style", flat=True)),
        user_id=user.pk,
    )


def style_choices(limit: int = STYLE_CHOICES) -> tuple[str, ...]:
    """The gallery's most common tags: the styles a fresh listener can pick from."""
    return catalog().tag_vocabulary[:limit]


def _rows(picks: list[ranking.Pick], user, limit: int) -> list[tuple[Track, ranking.Reason]]:
    """Cards for picks, in order, through the live published() filter; never the user's own."""
    tracks = Track.objects.published().filter(pk__in=[p.track_id for p in picks]).for_cards()
    if user.is_authenticated:
        tracks = tracks.exclude(owner=user)
    by_id = {t.pk: t for t in tracks}
    return [(by_id[p.track_id], p.reason) for p in picks if p.track_id in by_id][:limit]


def history_version(user) -> str:
    """What the user's picks are made from, as counts and newest rows: it changes with every
    rating, play, skip, style pick or deletion, seen by whichever process answers next
    (a token alone would not do where each web process keeps its own cache)."""
    parts = [
        plays_of(user).aggregate(n=Count("pk"), last=Max("pk")),
        Rating.objects.filter(user=user).aggregate(n=Count("pk"), last=Max("updated")),
        Skip.objects.filter(user=user).aggregate(n=Count("pk"), last=Max("created")),
        StylePick.objects.filter(user=user).aggregate(n=Count("pk"), last=Max("pk")),
    ]
    facts = ",".join(f"{p['n']}:{p['last']}" for p in parts)
    digest = hashlib.sha256(facts.encode()).hexdigest()[:16]
    return f"{user.pk}.{_token(user_token_key(user.pk))}.{digest}"


def live_picks(user, limit: int = 20) -> tuple[list[ranking.Pick], str]:
    """The user's For you picks, best first, that are still public right now, and a cache key
    for anything made from them: it changes with the user's history, the catalog and the picks.
    """
    version = f"{history_version(user)}:{catalog_version()}"
    key = f"recommend:picks:{version}:{limit}"
    picks = cache.get(key)
    if picks is None:
        # A few spare picks, in case some were hidden since the catalog was built.
        shelf = catalog(version.split(":", 1)[1])
        picks = ranking.rank(shelf, taste_for(user), limit=limit + 10)
        cache.set(key, picks, PICKS_SECONDS)
    public = set(
        Track.objects.published()
        .filter(pk__in=[p.track_id for p in picks])
        .exclude(owner=user)
        .values_list("pk", flat=True)
    )
    live = [p for p in picks if p.track_id in public][:limit]
    ids = hashlib.sha256(",".join(str(p.track_id) for p in live).encode()).hexdigest()[:24]
    return live, f"{version}:{ids}"


def rows(picks: list[ranking.Pick], user) -> list[tuple[Track, ranking.Reason]]:
    return _rows(picks, user, len(picks))


def recommendations(user, limit: int = 20) -> list[tuple[Track, ranking.Reason]]:
    """The user's For you list: (track, reason), best first."""
    return rows(live_picks(user, limit)[0], user)


def radio(
    user, *, track: Track | None = None, style: str = "", exclude=(), limit: int = 10
) -> list[tuple[Track, ranking.Reason]]:
    """The next tracks for a radio started from track or style; the listener's skips left out."""
    version = catalog_version()
    shelf = catalog(version)
    taste, lean = ranking.Taste(), None
    if user.is_authenticated:
        taste = ranking.Taste(
            skips=frozenset(Skip.objects.filter(user=user).values_list("track_id", flat=True))
        )
        # The taste's lean is the costly part; it changes only with the history or catalog.
        key = f"recommend:lean:{history_version(user)}:{version}"
        lean = cache.get(key)
        if lean is None:
            lean = ranking.taste_lean(shelf, taste_for(user))
            cache.set(key, lean, PICKS_SECONDS)
    picks = ranking.radio(
        shelf,
        track_id=track.pk if track else None,
        style=style,
        taste=taste,
        limit=limit + 10,
        exclude=exclude,
        lean=lean,
    )
    return _rows(picks, user, limit)
