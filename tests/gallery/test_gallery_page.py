"""The gallery page: who sees what, sorting, filters, search, featured, pagination, queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generator.models import ModelVersion
from musicweb.gallery.models import Play, Track
from tests.factories import make_track, make_user

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [t.title for t in response.context["page"].object_list]


def test_it_shows_published_tracks_to_visitors(client, track, private_track, hidden_track):
    response = client.get("/gallery/")
    assert response.status_code == 200
    assert _titles(response) == ["Night drive"]
    html = response.content.decode()
    assert f"/tracks/{track.uid}/thumbnail.webp" in html  # the card picture, small
    assert f"/tracks/{track.uid}/audio.wav" in html and "by <a" in html
    assert "Sketch" not in html and "Flagged" not in html


def test_it_hides_others_private_tracks_even_from_their_owner_here(client, alice, private_track):
    client.force_login(alice)  # the gallery is public work only; the profile shows one's own
    assert _titles(client.get("/gallery/")) == []


def test_it_sorts_top_rated_by_a_bayesian_average(client, alice):
    raters = [make_user(f"r{i}") for i in range(12)]
    lucky = make_track(alice, "One vote")
    solid = make_track(alice, "Many votes")
    lucky.rate(raters[0], 5)
    for rater in raters:
        solid.rate(rater, 4)
    make_track(alice, "Unrated")
    assert lucky.rating_average == 5.0 and solid.rating_average == 4.0
    assert _titles(client.get("/gallery/?sort=top")) == ["Many votes", "One vote", "Unrated"]


def test_it_sorts_by_newest_played_and_trending(client, alice, bob):
    old = make_track(alice, "Old")
    Track.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=30))
    busy = make_track(alice, "Busy")
    make_track(alice, "New")
    Track.objects.filter(pk=old.pk).update(play_count=50)  # popular long ago
    for n in range(3):
        busy.count_play(f"s:{n}")
    old.count_play("s:x")
    Play.objects.filter(track=old).update(hour=timezone.now() - timedelta(days=10))
    assert _titles(client.get("/gallery/")) == ["New", "Busy", "Old"]
    assert _titles(client.get("/gallery/?sort=played")) == ["Old", "Busy", "New"]
    assert _titles(client.get("/gallery/?sort=trending"))[0] == "Busy"


def test_it_filters_by_mode_model_tag_author_and_search(client, alice, bob):
    texture = ModelVersion.objects.get(name="texture")
    make_track(alice, "Rain piano", tags="piano, rain", model_version=texture)
    make_track(bob, "Dream choir", mode="dream", tags="choir", description="voices in rain")
    make_track(bob, "Pianola", tags="pianola")
    assert _titles(client.get("/gallery/?mode=dream")) == ["Dream choir"]
    assert _titles(client.get(f"/gallery/?model={texture.pk}")) == ["Rain piano"]
    assert _titles(client.get("/gallery/?tag=piano")) == ["Rain piano"]  # whole tags only
    assert _titles(client.get("/gallery/?author=bob")) == ["Pianola", "Dream choir"]
    assert set(_titles(client.get("/gallery/?q=rain"))) == {"Rain piano", "Dream choir"}
    assert _titles(client.get("/gallery/?q=rain&author=alice")) == ["Rain piano"]


def test_it_survives_nonsense_filters(client, track):
    response = client.get("/gallery/?mode=nope&model=abc&sort=zzz&page=999")
    assert response.status_code == 200
    assert _titles(response) == ["Night drive"]


def test_it_shows_featured_tracks_in_a_strip(client, alice, track):
    make_track(alice, "Star", featured=True)
    response = client.get("/gallery/")
    assert [t.title for t in response.context["featured"]] == ["Star"]
    assert "Featured" in response.content.decode()
    assert client.get("/gallery/?q=night").context["featured"] == []


def test_it_paginates_and_keeps_the_filters(client, alice):
    for n in range(30):
        make_track(alice, f"Loop {n}", tags="loop")
    first = client.get("/gallery/?tag=loop&sort=newest")
    assert len(first.context["page"].object_list) == 24
    assert "?sort=newest&amp;tag=loop&amp;page=2" in first.content.decode()
    assert len(client.get("/gallery/?tag=loop&page=2").context["page"].object_list) == 6


@pytest.mark.parametrize("sort", ["newest", "top", "played", "trending"])
def test_it_runs_the_same_number_of_queries_for_5_or_24_cards(client, alice, sort):
    client.force_login(alice)  # visitors may get a cached copy; members always a fresh page

    def count(n: int) -> int:
        Track.objects.all().delete()
        for i in range(n):
            make_track(make_user(f"u{sort}{n}-{i}"), f"T{i}", model_version_id=1)
        client.get(
            f"/gallery/?sort={sort}"
        )  # the first trending sort of ten minutes refreshes counts
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/gallery/?sort={sort}").status_code == 200
        return len(queries)

    assert count(5) == count(24)


def test_it_serves_visitors_a_copy_a_few_seconds_old(client, alice, bob, track):
    from django.core.cache import cache

    assert "Night drive" in client.get("/gallery/").content.decode()
    make_track(alice, "Brand new")
    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/gallery/").content.decode()
    assert "Brand new" not in cached and len(queries) == 0
    client.force_login(bob)
    assert "Brand new" in client.get("/gallery/").content.decode()
    client.logout()
    cache.clear()  # as when the copy expires
    assert "Brand new" in client.get("/gallery/").content.decode()
