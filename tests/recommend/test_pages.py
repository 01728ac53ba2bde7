"""The For you page, the radio page, and history on one's own profile."""

from __future__ import annotations

import pytest

from musicweb.recommend.models import Skip, StylePick
from tests.recommend.helpers import play, plays_of

pytestmark = pytest.mark.django_db


def test_it_sends_visitors_to_log_in(client):
    response = client.get("/for-you/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/history/delete/").status_code == 302


def test_it_shows_picks_with_their_reasons(client, bob, shelf):
    shelf["chip1"].rate(bob, 5)
    client.force_login(bob)
    page = client.get("/for-you/").content.decode()
    assert "Because you rated Chip one 5 stars" in page
    assert "Chip two" in page and f"/radio/?track={shelf['chip2'].uid}" in page
    assert "/radio/?style=chiptune" in page


def test_it_saves_style_picks_from_the_page_and_ignores_unknown_ones(client, bob, shelf):
    client.force_login(bob)
    response = client.post("/for-you/styles/", {"styles": ["orchestral", "<script>"]})
    assert response.status_code == 302
    assert list(StylePick.objects.values_list("style", flat=True)) == ["orchestral"]
    assert "Because you like orchestral" in client.get("/for-you/").content.decode()


def test_it_shows_history_only_on_its_owners_profile(client, alice, bob, shelf):
    play(alice, shelf["orch2"])
    play(bob, shelf["chip2"])
    client.force_login(bob)
    page = client.get("/accounts/profile/").content.decode()
    assert "Listening history" in page and "Chip two" in page and "Orchestra two" not in page
    public = client.get(f"/users/{alice.username}/").content.decode()
    assert "Listening history" not in public


def test_it_deletes_one_item_or_all_from_the_profile(client, alice, bob, shelf):
    play(alice, shelf["orch2"])
    play(bob, shelf["chip2"])
    play(bob, shelf["orch1"])
    Skip.objects.create(user=bob, track=shelf["chip3"], seconds=2)
    client.force_login(bob)
    alices = plays_of(alice).get()
    assert client.post(f"/history/play/{alices.pk}/delete/").status_code == 404
    mine = plays_of(bob).first()
    assert client.post(f"/history/play/{mine.pk}/delete/").status_code == 302
    assert plays_of(bob).count() == 1
    assert client.get(f"/history/play/{mine.pk}/delete/").status_code == 405
    client.post("/history/delete/")
    assert not plays_of(bob).exists() and not Skip.objects.filter(user=bob).exists()
    assert plays_of(alice).count() == 1


def test_it_starts_a_radio_page_from_a_track_or_a_style(client, alice, shelf):
    page = client.get(f"/radio/?track={shelf['chip1'].uid}").content.decode()
    assert "Radio from Chip one" in page and "Chip two" in page
    assert "Chip three" in client.get("/radio/?style=chiptune").content.decode()
    assert client.get("/radio/").status_code == 404
    assert client.get("/radio/?track=nope").status_code == 404
