"""Radio: the next similar tracks from a track or a style, never one the listener skipped."""

from __future__ import annotations

import pytest

from musicweb.recommend.models import SKIP_SECONDS, Skip
from tests.api.conftest import error

pytestmark = pytest.mark.django_db


def radio(api, **params) -> list[str]:
    response = api.get("/api/radio/", params)
    assert response.status_code == 200, response.content
    return [r["track"]["title"] for r in response.json()["results"]]


def test_it_plays_similar_tracks_after_a_track(api, bob, shelf):
    titles = radio(api, track=str(shelf["chip1"].uid))
    assert "Chip one" not in titles
    assert set(titles[:2]) == {"Chip two", "Chip three"}
    api.force_authenticate(bob)
    assert set(radio(api, track=str(shelf["chip1"].uid))[:2]) == {"Chip two", "Chip three"}


def test_it_plays_a_style(api, shelf):
    assert set(radio(api, style="Orchestral")) == {
        "Orchestra one",
        "Orchestra two",
        "Orchestra three",
    }
    assert radio(api, style="polka") == []


def test_it_records_a_skip_before_thirty_seconds_only(api, bob, shelf):
    api.force_authenticate(bob)
    uid = str(shelf["chip2"].uid)
    answer = api.post("/api/me/skips/", {"track": uid, "seconds": SKIP_SECONDS}, format="json")
    assert answer.json() == {"recorded": False}
    assert not Skip.objects.exists()
    answer = api.post("/api/me/skips/", {"track": uid, "seconds": 4.5}, format="json")
    assert answer.json() == {"recorded": True}
    assert Skip.objects.get().seconds == 4.5


def test_it_never_plays_a_skipped_track_again_for_that_listener(api, alice, bob, shelf):
    api.force_authenticate(bob)
    api.post("/api/me/skips/", {"track": str(shelf["chip2"].uid), "seconds": 3}, format="json")
    titles = radio(api, track=str(shelf["chip1"].uid), limit=10)
    assert "Chip two" not in titles and titles[0] == "Chip three"
    assert "Chip two" not in radio(api, style="chiptune")
    # Bob's skip is his alone.
    api.force_authenticate(None)
    assert "Chip two" in radio(api, track=str(shelf["chip1"].uid))


def test_it_leaves_out_what_the_player_already_queued(api, shelf):
    queued = f"{shelf['chip2'].uid},not-a-uid"
    titles = radio(api, track=str(shelf["chip1"].uid), exclude=queued)
    assert titles[0] == "Chip three" and "Chip two" not in titles


def test_it_refuses_bad_radio_requests(api, bob, shelf):
    assert api.get("/api/radio/").status_code == 400
    both = api.get("/api/radio/", {"track": str(shelf["chip1"].uid), "style": "chiptune"})
    assert both.status_code == 400 and "track or a style" in error(both)["message"]
    assert api.get("/api/radio/", {"track": "nonsense"}).status_code == 400
    assert api.get("/api/radio/", {"style": "chiptune", "limit": 0}).status_code == 400


def test_it_hides_private_and_hidden_seeds(api, alice, bob, shelf):
    from tests.recommend.helpers import make_styled

    draft = make_styled(alice, "Draft", 0, published=False)
    hidden = make_styled(alice, "Flagged", 0, hidden=True)
    api.force_authenticate(bob)
    for track in (draft, hidden):
        assert api.get("/api/radio/", {"track": str(track.uid)}).status_code == 404
        skip = {"track": str(track.uid), "seconds": 2}
        assert api.post("/api/me/skips/", skip, format="json").status_code == 404
    assert "Flagged" not in radio(api, style="chiptune")
    assert not Skip.objects.exists()


def test_it_refuses_bad_skips(api, bob, shelf):
    api.force_authenticate(bob)
    for body in (
        {"track": str(shelf["chip1"].uid), "seconds": -1},
        {"track": "x", "seconds": 1},
        {},
    ):
        assert api.post("/api/me/skips/", body, format="json").status_code == 400
    assert not Skip.objects.exists()
