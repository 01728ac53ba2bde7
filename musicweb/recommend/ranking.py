"""Rank tracks for one listener: CNN-embedding similarity blended with item-item CF.

Plain numpy and scipy, no Django: the site builds a Catalog from its rows and a
Taste from one user's history (musicweb/recommend/data.py), and the offline
evaluation builds the same objects from a held-out copy of the rows, so what is
measured is exactly what is served.

How a score is made, for every candidate track j:
- content: cosine between j's vector (unit tagger embedding beside a scaled tag
  one-hot) and the listener's profile, the weighted sum of the vectors of what
  they rated, played, skipped, published and uploaded (clip embeddings), plus
  the centroids of the styles they picked;
- collaborative: sum over their seeds i of w_i * cos(i, j), the cosine between
  the two tracks' columns of the user-mean-centred rating matrix (listeners who
  rated i highly also rated j highly);
- style: 1 for each picked style j is tagged with;
- popularity: log of plays and ratings, a small prior that breaks ties and
  serves fresh listeners.
Each part is scaled by its spread over the candidates before blending, so the
weights mean the same whatever the catalogue's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

# Seed weights: how much one signal says about taste. Stars map to -1..+1 around 3.
PLAY_WEIGHT = 0.25
SKIP_WEIGHT = -0.5
OWN_WEIGHT = 0.5
CLIP_WEIGHT = 0.5
STYLE_WEIGHT = 1.0
# Tags beside the embedding: enough to matter where tracks have no embedding.
TAG_SCALE = 0.5
MAX_TAGS = 64


@dataclass(frozen=True)
class Blend:
    """How the four parts of a score are mixed (tuned on the simulated community)."""

    content: float = 1.0
    collaborative: float = 0.5
    style: float = 0.6
    popularity: float = 2.0


@dataclass(frozen=True)
class Reason:
    """Why a track was picked: a kind, the text shown, and the seed track's id if any."""

    kind: str  # rated, played, published, clip, style, popular, similar
    text: str
    track_id: int | None = None


@dataclass(frozen=True)
class Pick:
    track_id: int
    score: float
    reason: Reason


@dataclass(frozen=True)
class Catalog:
    """Every recommendable track, as arrays in one order.

    ids int64[N] (track pks), owners int64[N], titles, tags per track,
    vectors float32[N, D] (rows unit length, or zero for a track with nothing known),
    popularity float32[N], cf float32 sparse[U, N] (columns unit length).
    """

    ids: np.ndarray
    owners: np.ndarray
    titles: tuple[str, ...]
    tags: tuple[tuple[str, ...], ...]
    vectors: np.ndarray
    popularity: np.ndarray
    cf: sparse.csc_matrix
    tag_vocabulary: tuple[str, ...]
    embedding_size: int
    position: dict[int, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def embed_clip(self, embedding: Sequence[float]) -> np.ndarray | None:
        """A clip's tagger embedding in the catalog's vector space, or None if it cannot be."""
        if len(embedding) != self.embedding_size or not self.embedding_size:
            return None
        vector = np.zeros(self.vectors.shape[1], dtype=np.float32)
        vector[: self.embedding_size] = _unit(np.asarray(embedding, dtype=np.float32))
        return vector

    def style_indices(self, style: str) -> np.ndarray:
        return np.array([i for i, tags in enumerate(self.tags) if style in tags], dtype=np.int64)


@dataclass(frozen=True)
class Taste:
    """What one listener has told us: stars, plays and skips by track id, and the rest."""

    ratings: dict[int, int] = field(default_factory=dict)
    plays: dict[int, int] = field(default_factory=dict)
    skips: frozenset[int] = frozenset()
    own: frozenset[int] = frozenset()
    clips: tuple[tuple[str, Sequence[float]], ...] = ()  # (title, embedding)
    styles: tuple[str, ...] = ()
    user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.ratings or self.plays or self.own or self.clips or self.styles)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def build_catalog(
    ids: Sequence[int],
    owners: Sequence[int],
    titles: Sequence[str],
    tags: Sequence[Sequence[str]],
    embeddings: Sequence[Sequence[float]],
    popularity: Sequence[float],
    ratings: Iterable[tuple[int, int, int]],
) -> Catalog:
    """Arrays from rows; ratings are (user id, track id, stars), tracks not listed ignored.

    Embeddings of another length than the most common one (an older tagger) count as none.
    """
    n = len(ids)
    position = {int(pk): i for i, pk in enumerate(ids)}
    lengths = [len(e) for e in embeddings if e]
    size = max(set(lengths), key=lengths.count) if lengths else 0
    counts: dict[str, int] = {}
    for track_tags in tags:
        for tag in track_tags:
            counts[tag] = counts.get(tag, 0) + 1
    vocabulary = tuple(sorted(counts, key=lambda t: (-counts[t], t))[:MAX_TAGS])
    column = {tag: size + k for k, tag in enumerate(vocabulary)}
    vectors = np.zeros((n, size + len(vocabulary)), dtype=np.float32)
    for i, (embedding, track_tags) in enumerate(zip(embeddings, tags, strict=True)):
        if size and len(embedding) == size:
            vectors[i, :size] = _unit(np.asarray(embedding, dtype=np.float32))
        known = [column[t] for t in track_tags if t in column]
        if known:
            vectors[i, known] = TAG_SCALE / np.sqrt(len(known))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return Catalog(
        ids=np.asarray(ids, dtype=np.int64),
        owners=np.asarray(owners, dtype=np.int64),
        titles=tuple(titles),
        tags=tuple(tuple(t) for t in tags),
        vectors=vectors,
        popularity=np.log1p(np.asarray(popularity, dtype=np.float32)),
        cf=_rating_matrix(ratings, position),
        tag_vocabulary=vocabulary,
        embedding_size=size,
        position=position,
    )


def _rating_matrix(ratings: Iterable[tuple[int, int, int]], position: dict[int, int]):
    """Users x tracks, each user's mean taken off, each track's column scaled to unit length."""
    users: dict[int, int] = {}
    rows, cols, vals = [], [], []
    for user, track, stars in ratings:
        j = position.get(int(track))
        if j is None:
            continue
        rows.append(users.setdefault(int(user), len(users)))
        cols.append(j)
        vals.append(float(stars))
    rows_a = np.asarray(rows, dtype=np.int64)
    vals_a = np.asarray(vals, dtype=np.float32)
    if len(vals_a):
        sums = np.bincount(rows_a, weights=vals_a, minlength=len(users))
        counts = np.bincount(rows_a, minlength=len(users))
        vals_a = vals_a - (sums / np.maximum(counts, 1))[rows_a].astype(np.float32)
    matrix = sparse.csc_matrix(
        (vals_a, (rows_a, np.asarray(cols, dtype=np.int64))),
        shape=(max(len(users), 1), len(position)),
        dtype=np.float32,
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return (matrix @ sparse.diags(scale.astype(np.float32))).tocsc()


@dataclass(frozen=True)
class _Seed:
    index: int
    weight: float
    reason: Reason


def _seeds(catalog: Catalog, taste: Taste) -> list[_Seed]:
    """Each catalogued track the listener acted on, with its weight and the reason it gives."""
    seeds: dict[int, _Seed] = {}

    def add(track_id: int, weight: float, reason: Reason) -> None:
        i = catalog.position.get(track_id)
        if i is None or weight == 0:
            return
        old = seeds.get(i)
        total = weight + (old.weight if old else 0.0)
        keep = reason if old is None or abs(weight) >= abs(old.weight) else old.reason
        seeds[i] = _Seed(i, total, keep)

    def title(track_id: int) -> str:
        return catalog.titles[catalog.position[track_id]] if track_id in catalog.position else ""

    for track_id in taste.own:
        add(
            track_id,
            OWN_WEIGHT,
            Reason("published", f"because you published {title(track_id)}", track_id),
        )
    for track_id, count in taste.plays.items():
        weight = PLAY_WEIGHT * min(count, 4)
        add(track_id, weight, Reason("played", f"because you played {title(track_id)}", track_id))
    for track_id in taste.skips:
        add(track_id, SKIP_WEIGHT, Reason("skipped", "", track_id))
    for track_id, stars in taste.ratings.items():
        text = f"because you rated {title(track_id)} {stars} star{'s' if stars != 1 else ''}"
        add(track_id, (stars - 3) / 2, Reason("rated", text, track_id))
    return list(seeds.values())


def _spread(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Values over the candidates, centred and scaled by their spread (zero if flat)."""
    chosen = values[mask]
    if not len(chosen):
        return values * 0
    std = float(chosen.std())
    return (values - float(chosen.mean())) / std if std > 1e-9 else values * 0


@dataclass(frozen=True)
class _Scored:
    score: np.ndarray  # float32[N], -inf where not allowed
    liked: list[_Seed]
    clip_vectors: list[tuple[str, np.ndarray]]


def _score(catalog: Catalog, taste: Taste, blend: Blend, exclude: Iterable[int] = ()) -> _Scored:
    """Every track's blended score for this listener; -inf for what may not be offered."""
    n = len(catalog)
    allowed = catalog.owners != (taste.user_id if taste.user_id is not None else -1)
    for track_id in (*taste.ratings, *taste.plays, *taste.skips, *taste.own, *exclude):
        i = catalog.position.get(track_id)
        if i is not None:
            allowed[i] = False

    seeds = _seeds(catalog, taste)
    profile = np.zeros(catalog.vectors.shape[1], dtype=np.float32)
    for seed in seeds:
        profile += seed.weight * catalog.vectors[seed.index]
    clip_vectors = []
    for clip_title, embedding in taste.clips:
        vector = catalog.embed_clip(embedding)
        if vector is not None:
            clip_vectors.append((clip_title, vector))
            profile += CLIP_WEIGHT * vector
    style_hits = np.zeros(n, dtype=np.float32)
    for style in taste.styles:
        members = catalog.style_indices(style)
        if len(members):
            style_hits[members] += 1.0
            profile += STYLE_WEIGHT * _unit(catalog.vectors[members].mean(axis=0))
    content = catalog.vectors @ _unit(profile)

    collaborative = np.zeros(n, dtype=np.float32)
    if seeds:
        idx = np.array([s.index for s in seeds])
        weights = np.array([s.weight for s in seeds], dtype=np.float32)
        collaborative = np.asarray(catalog.cf.T @ (catalog.cf[:, idx] @ weights)).ravel()

    score = (
        blend.content * _spread(content, allowed)
        + blend.collaborative * _spread(collaborative, allowed)
        + blend.style * style_hits
        + blend.popularity * _spread(catalog.popularity, allowed)
    ).astype(np.float32)
    score[~allowed] = -np.inf
    return _Scored(score, [s for s in seeds if s.weight > 0], clip_vectors)


def _top(score: np.ndarray, limit: int) -> np.ndarray:
    if limit < len(score):
        part = np.argpartition(-score, limit)[:limit]
        top = part[np.argsort(-score[part], kind="stable")]
    else:
        top = np.argsort(-score, kind="stable")
    return top[np.isfinite(score[top])]


def rank(
    catalog: Catalog,
    taste: Taste,
    limit: int = 20,
    blend: Blend = Blend(),  # noqa: B008 (frozen)
    exclude: Iterable[int] = (),
    explain: bool = True,
) -> list[Pick]:
    """The listener's top tracks, best first, each with why; never their own, rated or heard."""
    if not len(catalog):
        return []
    scored = _score(catalog, taste, blend, exclude)
    top = _top(scored.score, limit)
    if explain:
        reasons = _explain(catalog, taste, top, scored.liked, scored.clip_vectors)
    else:
        reasons = [Reason("", "")] * len(top)
    return [
        Pick(int(catalog.ids[j]), float(scored.score[j]), reason)
        for j, reason in zip(top, reasons, strict=True)
    ]


def _explain(
    catalog: Catalog,
    taste: Taste,
    top: np.ndarray,
    liked: list[_Seed],
    clip_vectors: list[tuple[str, np.ndarray]],
) -> list[Reason]:
    """Name, for each pick, the one liked thing that pulled it up most."""
    if not len(top):
        return []
    pull = np.zeros((len(top), 0), dtype=np.float32)
    sources: list[Reason] = []
    if liked:
        idx = np.array([s.index for s in liked])
        weights = np.array([s.weight for s in liked], dtype=np.float32)
        similar = catalog.vectors[top] @ catalog.vectors[idx].T
        together = (catalog.cf[:, top].T @ catalog.cf[:, idx]).toarray()
        pull = np.maximum(similar, together) * weights
        sources = [s.reason for s in liked]
    if clip_vectors:
        clips = np.stack([v for _, v in clip_vectors])
        pull = np.hstack([pull, CLIP_WEIGHT * (catalog.vectors[top] @ clips.T)])
        sources += [Reason("clip", f"because of your clip {t}") for t, _ in clip_vectors]
    reasons = []
    for row, j in enumerate(top):
        tags = catalog.tags[j]
        style = next((s for s in taste.styles if s in tags), None)
        best = int(np.argmax(pull[row])) if pull.shape[1] else -1
        if style and (best < 0 or pull[row, best] < 0.5):
            reasons.append(Reason("style", f"because you like {style}"))
        elif best >= 0 and pull[row, best] > 0:
            reasons.append(sources[best])
        elif style:
            reasons.append(Reason("style", f"because you like {style}"))
        else:
            reasons.append(Reason("popular", "popular in the gallery"))
    return reasons


def taste_lean(catalog: Catalog, taste: Taste) -> np.ndarray:
    """How much the listener's taste favours each track: float32[N], 0 where For you would
    never offer it (their own, rated, heard), since radio still may play those."""
    mine = _score(catalog, taste, Blend()).score
    return np.where(np.isfinite(mine), mine, 0.0).astype(np.float32)


def radio(
    catalog: Catalog,
    *,
    track_id: int | None = None,
    style: str = "",
    taste: Taste = Taste(),  # noqa: B008 (frozen)
    limit: int = 10,
    exclude: Iterable[int] = (),
    lean: np.ndarray | None = None,
) -> list[Pick]:
    """Tracks to play next after track_id (or in a style): its neighbours, none skipped.

    lean float32[N] is taste_lean() for this listener, if already at hand.

    The listener's own taste leans the order a little; their skips and whatever the
    player already queued (exclude) are never offered.
    """
    n = len(catalog)
    allowed = np.ones(n, dtype=bool)
    for skipped in (*taste.skips, *exclude, *([track_id] if track_id else [])):
        i = catalog.position.get(skipped)
        if i is not None:
            allowed[i] = False
    if style:
        in_style = np.zeros(n, dtype=bool)
        members = catalog.style_indices(style)
        in_style[members] = True
        allowed &= in_style
    if not allowed.any():
        return []
    if track_id is not None and track_id in catalog.position:
        i = catalog.position[track_id]
        similar = catalog.vectors @ catalog.vectors[i]
        together = np.asarray(catalog.cf.T @ catalog.cf[:, i].toarray()).ravel()
        seed_title = catalog.titles[i]
        score = _spread(similar, allowed) + 0.5 * _spread(together, allowed)
        reason = Reason("similar", f"sounds like {seed_title}", track_id)
    else:
        members = catalog.style_indices(style)
        centre = _unit(catalog.vectors[members].mean(axis=0)) if len(members) else None
        score = catalog.vectors @ centre if centre is not None else np.zeros(n, dtype=np.float32)
        score = _spread(score, allowed) + 0.3 * _spread(catalog.popularity, allowed)
        reason = (
            Reason("style", f"{style} radio")
            if style
            else Reason("popular", "popular in the gallery")
        )
    if lean is None and not taste.is_empty:
        lean = taste_lean(catalog, taste)
    if lean is not None:
        score = score + 0.3 * lean
    score = np.where(allowed, score, -np.inf)
    top = _top(score, limit)
    return [Pick(int(catalog.ids[j]), float(score[j]), reason) for j in top]
