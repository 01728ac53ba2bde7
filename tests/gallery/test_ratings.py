"""Rating: 1 to 5 stars, one per person, changeable and removable, never one's own track."""

from __future__ import annotations

import pytest

from musicweb.gallery.models import PRIOR_MEAN, Rating, bayesian_score
from tests.factories import make_track

pytestmark = pytest.mark.django_db
JSON = {"Accept": "application/json"}


def _rate(client, track, json=True, **data):
    return client.post(f"/tracks/{track.uid}/rating/", data, headers=JSON if json else {})


def test_it_rates_changes_and_removes_with_consistent_counts(client, bob, charlie, track):
    client.force_login(bob)
    assert _rate(client, track, stars=4).json() == {"average": 4.0, "count": 1, "mine": 4}
    assert _rate(client, track, stars=2).json() == {"average": 2.0, "count": 1, "mine": 2}
    client.force_login(charlie)
    assert _rate(client, track, stars=5).json() == {"average": 3.5, "count": 2, "mine": 5}
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count) == (7, 2)
    assert track.score == pytest.approx(bayesian_score(7, 2))
    client.force_login(bob)
    assert _rate(client, track, remove="1").json() == {"average": 5.0, "count": 1, "mine": None}
    assert list(Rating.objects.values_list("user__username", "stars")) == [("charlie", 5)]
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count) == (5, 1)


def test_it_works_without_javascript(client, bob, track):
    client.force_login(bob)
    response = _rate(client, track, json=False, stars=3)
    assert response.status_code == 302 and response["Location"] == track.get_absolute_url()
    page = client.get(track.get_absolute_url()).content.decode()
    assert "You gave it 3 of 5." in page and "3.00 of 5" in page


@pytest.mark.parametrize(
    ("stars", "message"),
    [
        ("0", "A rating is 1 to 5 stars."),
        ("6", "A rating is 1 to 5 stars."),
        ("x", "A rating is 1 to 5 stars."),
        ("", "This field is required."),
    ],
)
def test_it_refuses_bad_stars_and_changes_nothing(client, bob, track, stars, message):
    client.force_login(bob)
    response = _rate(client, track, stars=stars)
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert not Rating.objects.exists()
    track.refresh_from_db()
    assert (track.rating_count, track.score) == (0, PRIOR_MEAN)


def test_it_refuses_rating_ones_own_track(client, alice, track):
    client.force_login(alice)
    response = _rate(client, track, stars=5)
    assert response.status_code == 403
    assert response.json()["error"] == "You cannot rate your own track."
    assert (
        "You cannot rate your own track." in client.get(track.get_absolute_url()).content.decode()
    )
    assert not Rating.objects.exists()


def test_it_sends_visitors_to_log_in(client, track):
    response = _rate(client, track, json=False, stars=5)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _rate(client, track, stars=5).status_code == 403
    assert not Rating.objects.exists()


def test_it_hides_private_and_hidden_tracks_from_raters(
    client, bob, charlie, private_track, hidden_track
):
    client.force_login(bob)
    assert _rate(client, private_track, stars=5).status_code == 404
    assert _rate(client, hidden_track, stars=5).status_code == 404
    client.force_login(charlie)  # staff see them, but only published tracks are rated
    assert _rate(client, private_track, stars=5).status_code == 403
    assert not Rating.objects.exists()


def test_it_allows_one_rating_per_person(bob, track):
    track.rate(bob, 5)
    track.rate(bob, 1)
    assert Rating.objects.count() == 1
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count) == (1, 1)


def test_it_recounts_a_tracks_ratings_when_a_rater_deletes_their_account(
    client, bob, charlie, track
):
    from django.contrib.auth import get_user_model

    from tests.factories import make_user

    dora = make_user("dora")
    track.rate(bob, 4)
    track.rate(charlie, 2)
    track.rate(dora, 5)
    other = make_track(charlie, "Charlie's own")
    other.rate(bob, 1)
    client.force_login(bob)
    assert client.post("/accounts/delete/", {"password": "pw-bob"}).status_code == 302
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count) == (7, 2)
    assert track.score == pytest.approx(bayesian_score(7, 2))
    assert track.trending == 2
    other.refresh_from_db()
    assert (other.rating_sum, other.rating_count, other.score) == (0, 0, PRIOR_MEAN)
    assert "3.50 of 5" in client.get(track.get_absolute_url()).content.decode()
    # Staff deleting accounts in bulk (the admin's action) keeps the counts true as well.
    get_user_model().objects.filter(username__in=["dora", "charlie"]).delete()
    track.refresh_from_db()
    assert (track.rating_sum, track.rating_count, track.score) == (0, 0, PRIOR_MEAN)
