"""Tracks over the API: the same rules as the pages, for every endpoint and every kind of user."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musicweb.gallery.models import Rating, Report, Track
from tests.api.conftest import error
from tests.factories import make_track, make_user

pytestmark = pytest.mark.django_db

# (method, path suffix, body) for every track endpoint.
ENDPOINTS = {
    "detail": ("get", "", None),
    "similar": ("get", "similar/", None),
    "play": ("post", "play/", None),
    "publish": ("post", "publish/", {"title": "Taken"}),
    "unpublish": ("post", "unpublish/", None),
    "rating-get": ("get", "rating/", None),
    "rating-put": ("put", "rating/", {"stars": 4}),
    "rating-delete": ("delete", "rating/", None),
    "report": ("post", "report/", {"reason": "spam"}),
}

# Expected status per actor on Alice's published, private and hidden tracks.
PUBLISHED = {
    "anonymous": {
        "detail": 200,
        "similar": 200,
        "play": 200,
        "publish": 401,
        "unpublish": 401,
        "rating-get": 401,
        "rating-put": 401,
        "rating-delete": 401,
        "report": 401,
    },
    "bob": {
        "detail": 200,
        "similar": 200,
        "play": 200,
        "publish": 403,
        "unpublish": 403,
        "rating-get": 200,
        "rating-put": 200,
        "rating-delete": 200,
        "report": 201,
    },
    "alice": {
        "detail": 200,
        "similar": 200,
        "play": 200,
        "publish": 200,
        "unpublish": 200,
        "rating-get": 200,
        "rating-put": 403,
        "rating-delete": 403,
        "report": 403,
    },
    "charlie": {
        "detail": 200,
        "similar": 200,
        "play": 200,
        "publish": 403,
        "unpublish": 403,
        "rating-get": 200,
        "rating-put": 200,
        "rating-delete": 200,
        "report": 201,
    },
}
_NOT_VISIBLE = {name: 404 for name in ENDPOINTS} | {
    k: 401 for k in ("publish", "unpublish", "rating-get", "rating-put", "rating-delete", "report")
}
_OWNER_PRIVATE = PUBLISHED["alice"]
_STAFF_PRIVATE = PUBLISHED["charlie"] | {"rating-put": 403, "rating-delete": 403, "report": 403}
PRIVATE = {
    "anonymous": _NOT_VISIBLE,
    "bob": {name: 404 for name in ENDPOINTS},
    "alice": _OWNER_PRIVATE,
    "charlie": _STAFF_PRIVATE,
}


def _call(api, actor, users, track, name):
    if actor != "anonymous":
        api.force_authenticate(users[actor])
    method, suffix, body = ENDPOINTS[name]
    return getattr(api, method)(f"/api/tracks/{track.uid}/{suffix}", body, format="json")


@pytest.fixture
def users(alice, bob, charlie):
    return {"alice": alice, "bob": bob, "charlie": charlie}


@pytest.mark.parametrize("actor", list(PUBLISHED))
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_it_applies_the_pages_rules_to_published_tracks(api, users, track, actor, name):
    response = _call(api, actor, users, track, name)
    assert response.status_code == PUBLISHED[actor][name], response.content
    if response.status_code >= 400:
        error(response)


@pytest.mark.parametrize("actor", list(PRIVATE))
@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("kind", ["private", "hidden"])
def test_it_applies_the_pages_rules_to_private_and_hidden_tracks(
    api, users, private_track, hidden_track, actor, name, kind
):
    target = private_track if kind == "private" else hidden_track
    expected = PRIVATE[actor][name]
    if kind == "hidden" and actor == "alice" and name == "publish":
        expected = 200  # the owner may edit the text; it stays hidden
    response = _call(api, actor, users, target, name)
    assert response.status_code == expected, response.content


def test_it_lists_with_the_gallerys_filters_and_sorts(api, alice, bob):
    raters = [make_user(f"r{i}") for i in range(6)]
    solid = make_track(alice, "Solid", tags="piano")
    lucky = make_track(bob, "Lucky", mode="dream", tags="choir")
    make_track(alice, "Private", published=False)
    lucky.rate(raters[0], 5)
    for rater in raters:
        solid.rate(rater, 4)

    def titles(query=""):
        response = api.get(f"/api/tracks/{query}")
        assert response.status_code == 200
        return [t["title"] for t in response.json()["results"]]

    assert titles() == ["Lucky", "Solid"]
    assert titles("?sort=top") == ["Solid", "Lucky"]
    assert titles("?mode=dream") == ["Lucky"]
    assert titles("?tag=piano") == ["Solid"]
    assert titles("?author=bob") == ["Lucky"]
    assert titles("?q=sol") == ["Solid"]
    assert titles("?page_size=1") == ["Lucky"]
    bad = api.get("/api/tracks/?sort=best&mode=x")
    assert bad.status_code == 400 and set(error(bad)["fields"]) == {"sort", "mode"}
    assert api.get("/api/tracks/?mine=true").status_code == 401
    api.force_authenticate(alice)
    assert titles("?mine=true") == ["Solid", "Private"]  # never published sorts last


def test_it_publishes_and_unpublishes(api, alice, private_track):
    api.force_authenticate(alice)
    response = api.post(
        f"/api/tracks/{private_track.uid}/publish/",
        {"title": "Dawn", "description": "Soft.", "tags": ["Piano", "calm"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["tags"], body["published"]) == ("Dawn", ["piano", "calm"], True)
    assert body["urls"]["page"] == f"/tracks/{private_track.uid}/"
    blank = api.post(f"/api/tracks/{private_track.uid}/publish/", {"title": " "}, format="json")
    assert blank.status_code == 400 and "title" in error(blank)["fields"]
    private_track.refresh_from_db()
    assert private_track.title == "Dawn"
    assert api.post(f"/api/tracks/{private_track.uid}/unpublish/").json()["published"] is False


def test_it_rates_changes_and_removes(api, bob, track):
    api.force_authenticate(bob)
    url = f"/api/tracks/{track.uid}/rating/"
    assert api.put(url, {"stars": 5}, format="json").json() == {
        "average": 5.0,
        "count": 1,
        "mine": 5,
    }
    assert api.put(url, {"stars": 3}, format="json").json()["average"] == 3.0
    assert api.get(f"/api/tracks/{track.uid}/").json()["my_rating"] == 3
    for bad in ({"stars": 0}, {"stars": 6}, {"stars": "many"}, {}):
        response = api.put(url, bad, format="json")
        assert response.status_code == 400 and "stars" in error(response)["fields"]
    assert api.delete(url).json() == {"average": None, "count": 0, "mine": None}
    assert api.delete(url).status_code == 200  # removing twice changes nothing
    assert not Rating.objects.exists()
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count) == (0, 0)


def test_it_refuses_rating_ones_own_track_with_a_reason(api, alice, track):
    api.force_authenticate(alice)
    response = api.put(f"/api/tracks/{track.uid}/rating/", {"stars": 5}, format="json")
    assert error(response) == {
        "code": "permission_denied",
        "message": "You cannot rate your own track.",
    }


def test_it_counts_plays_once_per_hour(api, bob, track):
    api.force_authenticate(bob)
    first = api.post(f"/api/tracks/{track.uid}/play/").json()
    second = api.post(f"/api/tracks/{track.uid}/play/").json()
    assert (first, second) == (
        {"counted": True, "play_count": 1},
        {"counted": False, "play_count": 1},
    )


def test_it_files_reports(api, bob, track):
    api.force_authenticate(bob)
    bad = api.post(f"/api/tracks/{track.uid}/report/", {"reason": "meh"}, format="json")
    assert bad.status_code == 400 and "reason" in error(bad)["fields"]
    assert not Report.objects.exists()
    api.post(f"/api/tracks/{track.uid}/report/", {"reason": "copyright"}, format="json")
    assert Report.objects.get().reason == "copyright"


def test_it_shows_profiles(api, alice, bob, track):
    track.rate(bob, 4)
    assert api.get("/api/users/alice/").json() == {
        "username": "alice",
        "name": "alice",
        "tracks": 1,
        "plays": 0,
        "ratings_received": 1,
        "average_rating": 4.0,
        "ratings_given": 0,
    }
    assert api.get("/api/users/nobody/").status_code == 404


@pytest.mark.parametrize("sort", ["newest", "top", "played", "trending"])
def test_it_runs_the_same_number_of_queries_for_5_or_24_items(api, bob, sort):
    api.force_authenticate(bob)

    def count(n: int) -> int:
        Track.objects.all().delete()
        for i in range(n):
            make_track(make_user(f"a{sort}{n}-{i}"), f"T{i}", model_version_id=1)
        api.get(
            f"/api/tracks/?sort={sort}"
        )  # the first trending sort of ten minutes refreshes counts
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/tracks/?sort={sort}")
        assert len(response.json()["results"]) == n
        return len(queries)

    assert count(5) == count(24)
