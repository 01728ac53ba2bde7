"""The simulated community carries hidden tastes, and For you finds them better than popularity."""

from __future__ import annotations

import re
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from musicweb.gallery.models import Play, Rating, Track
from musicweb.recommend.community import STYLES, simulate


def test_it_simulates_tastes_that_show_in_ratings_and_embeddings():
    community = simulate(tracks=400, listeners=40, ratings=800, seed=3)
    styles, emb = community.styles, community.embeddings
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    same = unit[styles == 0] @ unit[styles == 0].T
    other = unit[styles == 0] @ unit[styles == 1].T
    assert same.mean() > other.mean() + 0.3
    liked = [s for p, t, s in community.ratings if styles[t] in community.tastes[p]]
    disliked = [s for p, t, s in community.ratings if styles[t] not in community.tastes[p]]
    assert np.mean(liked) > np.mean(disliked) + 1.5
    assert len(community.ratings) == 800
    assert len({(p, t) for p, t, _ in community.ratings}) == 800
    named = sum(STYLES[s] in tags for s, tags in zip(styles, community.tags, strict=True))
    assert 0.6 < named / 400 < 0.8


@pytest.mark.django_db
def test_it_seeds_a_community_and_beats_the_popularity_baseline():
    call_command(
        "seed_gallery", "--community", "--tracks", "400", "--ratings", "4000", stdout=StringIO()
    )
    assert Track.objects.exclude(embedding=[]).count() == 400
    assert Rating.objects.count() == 4000
    assert Play.objects.filter(listener__startswith="u:").count() >= 4000
    out = StringIO()
    call_command("evaluate_recommendations", stdout=out)
    table = dict(re.findall(r"\| ([^|]+?) \| ([0-9.]+) \| [0-9.]+ \|", out.getvalue()))
    ours, popular, chance = (float(table[m]) for m in ("For you (ours)", "Most popular", "Random"))
    assert ours >= 2 * popular, out.getvalue()
    assert ours > chance


@pytest.mark.django_db
def test_it_refuses_to_evaluate_an_empty_gallery():
    with pytest.raises(CommandError, match="seed_gallery --community"):
        call_command("evaluate_recommendations", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("evaluate_recommendations", "--k", "0", stdout=StringIO())
