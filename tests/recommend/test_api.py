"""The recommendation, history, skip, style and radio endpoints: who may call what, bad input."""

from __future__ import annotations

import pytest

from musicweb.recommend.models import Skip, StylePick
from tests.api.conftest import error
from tests.recommend.helpers import play, plays_of

pytestmark = pytest.mark.django_db

PRIVATE = [
    ("get", "/api/me/recommendations/"),
    ("get", "/api/me/history/"),
    ("delete", "/api/me/history/"),
    ("delete", "/api/me/history/play/1/"),
    ("post", "/api/me/skips/"),
    ("get", "/api/me/styles/"),
    ("put", "/api/me/styles/"),
]


@pytest.mark.parametrize(("method", "url"), PRIVATE)
def test_it_asks_for_a_login_on_every_private_endpoint(api, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_it_lists_recommendations_with_reasons_and_track_links(api, bob, shelf):
    shelf["chip1"].rate(bob, 5)
    api.force_authenticate(bob)
    results = api.get("/api/me/recommendations/?limit=2").json()["results"]
    assert len(results) == 2
    assert results[0]["track"]["title"] in ("Chip two", "Chip three")
    assert results[0]["reason"] == {
        "kind": "rated",
        "text": "because you rated Chip one 5 stars",
        "track": str(shelf["chip1"].uid),
    }
    assert api.get("/api/me/recommendations/?limit=nonsense").status_code == 200


def test_it_sets_and_reads_style_picks(api, bob, shelf):
    api.force_authenticate(bob)
    answer = api.put("/api/me/styles/", {"styles": ["Chiptune", "ambient"]}, format="json")
    assert answer.status_code == 200
    assert answer.json()["styles"] == ["chiptune", "ambient"]
    assert "orchestral" in answer.json()["choices"]
    assert api.get("/api/me/styles/").json()["styles"] == ["ambient", "chiptune"]
    bad = api.put("/api/me/styles/", {"styles": "chiptune"}, format="json")
    assert bad.status_code == 400 and "styles" in error(bad)["fields"]
    assert StylePick.objects.filter(user=bob).count() == 2


def test_it_shows_each_person_only_their_own_history(api, alice, bob, shelf):
    play(alice, shelf["orch2"])
    play(bob, shelf["chip2"])
    api.force_authenticate(bob)
    items = api.get("/api/me/history/").json()["results"]
    assert [(i["kind"], i["track"]["title"]) for i in items] == [("play", "Chip two")]


def test_it_will_not_let_bob_delete_alices_history(api, alice, bob, shelf):
    play(alice, shelf["orch2"])
    alices = plays_of(alice).get()
    Skip.objects.create(user=alice, track=shelf["chip2"], seconds=3)
    skip = Skip.objects.get(user=alice)
    api.force_authenticate(bob)
    assert api.delete(f"/api/me/history/play/{alices.pk}/").status_code == 404
    assert api.delete(f"/api/me/history/skip/{skip.pk}/").status_code == 404
    assert api.delete("/api/me/history/").json() == {"deleted": 0}
    assert plays_of(alice).count() == 1 and Skip.objects.filter(user=alice).count() == 1
    assert api.delete("/api/me/history/song/1/").status_code == 404


def test_it_changes_recommendations_at_once_when_history_is_deleted(api, bob, shelf):
    api.force_authenticate(bob)
    play(bob, shelf["orch1"])
    before = api.get("/api/me/recommendations/").json()["results"]
    assert before[0]["reason"]["text"] == "because you played Orchestra one"
    titles = [r["track"]["title"] for r in before]
    assert "Orchestra one" not in titles  # heard already

    item = api.get("/api/me/history/").json()["results"][0]
    assert api.delete(f"/api/me/history/play/{item['id']}/").json() == {"deleted": 1}
    after = api.get("/api/me/recommendations/").json()["results"]
    assert {r["reason"]["kind"] for r in after} == {"popular"}
    assert "Orchestra one" in [r["track"]["title"] for r in after]


def test_it_forgets_all_history_at_once(api, bob, shelf):
    play(bob, shelf["orch1"])
    play(bob, shelf["chip1"])
    api.force_authenticate(bob)
    api.post("/api/me/skips/", {"track": str(shelf["chip2"].uid), "seconds": 4}, format="json")
    assert len(api.get("/api/me/history/").json()["results"]) == 3
    assert api.delete("/api/me/history/").json() == {"deleted": 3}
    assert api.get("/api/me/history/").json()["results"] == []
    assert shelf["orch1"].__class__.objects.get(pk=shelf["orch1"].pk).play_count == 1


def test_it_puts_the_new_endpoints_in_the_schema(api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/me/recommendations/",
        "/api/me/history/",
        "/api/me/history/{kind}/{id}/",
        "/api/me/skips/",
        "/api/me/styles/",
        "/api/radio/",
    ):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/radio/"]["get"]["parameters"]}
    assert {"track", "style", "exclude", "limit"} <= params
