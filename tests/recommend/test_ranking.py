"""What For you may and may not offer, and the reason it gives for each pick."""

from __future__ import annotations

import pytest

from musicweb.recommend import data
from musicweb.recommend.models import set_styles
from tests.recommend.helpers import make_styled, play

pytestmark = pytest.mark.django_db


def titles(user) -> list[str]:
    return [track.title for track, _ in data.recommendations(user)]


def test_it_never_offers_own_hidden_unpublished_or_rated_tracks(alice, bob, charlie, shelf):
    mine = make_styled(bob, "Bob's chip", 0, 0.05)
    make_styled(charlie, "Hidden chip", 0, 0.05, hidden=True)
    make_styled(charlie, "Draft chip", 0, 0.05, published=False)
    shelf["chip1"].rate(bob, 5)
    shelf["orch1"].rate(bob, 2)
    offered = titles(bob)
    assert offered  # the rest of the shelf
    assert mine.title not in offered
    assert not {"Hidden chip", "Draft chip", "Chip one", "Orchestra one"} & set(offered)
    # Alice sees Bob's track but never her own.
    assert "Bob's chip" in titles(alice)
    assert not {"Chip one", "Orchestra one"} & set(titles(alice))


def test_it_ranks_what_sounds_like_a_five_star_track_first_and_says_why(bob, shelf):
    shelf["chip1"].rate(bob, 5)
    picks = data.recommendations(bob)
    first, reason = picks[0]
    assert first.title in ("Chip two", "Chip three")
    assert reason.kind == "rated"
    assert reason.text == "because you rated Chip one 5 stars"
    orchestral = [t.title for t, _ in picks].index("Orchestra two")
    assert orchestral > 1


def test_it_learns_from_listeners_with_similar_ratings(alice, bob, charlie, shelf):
    # No embeddings or tags to go on: only who liked what.
    plain = {n: make_styled(alice, n, 0, tags="x", embedding=[]) for n in ("P", "Q", "R", "S")}
    dave = type(bob).objects.create_user("dave", password="pw-dave")
    for person in (charlie, dave):
        plain["P"].rate(person, 5)
        plain["Q"].rate(person, 5)
        plain["R"].rate(person, 1)
        plain["S"].rate(person, 1)
    plain["P"].rate(bob, 5)
    offered = [t.title for t, _ in data.recommendations(bob)]
    assert offered.index("Q") < offered.index("R")
    assert offered.index("Q") < offered.index("S")


def test_it_starts_fresh_listeners_from_their_style_picks(bob, shelf):
    assert set_styles(bob, ["Orchestral", "orchestral"]) == ["orchestral"]
    picks = data.recommendations(bob)
    assert {t.title for t, _ in picks[:3]} == {"Orchestra one", "Orchestra two", "Orchestra three"}
    assert all(r.text == "because you like orchestral" for _, r in picks[:3])


def test_it_explains_plays_and_publishes(alice, bob, shelf):
    play(bob, shelf["orch1"])
    first, reason = data.recommendations(bob)[0]
    assert first.title in ("Orchestra two", "Orchestra three")
    assert reason.text == "because you played Orchestra one"
    # Alice published chip1 and orch1; Charlie's chiptune sounds like her chip1.
    reasons = {t.title: r.text for t, r in data.recommendations(alice)}
    assert reasons["Chip two"] in (
        "because you published Chip one",
        "because you published Orchestra one",
    )


def test_it_offers_popular_tracks_to_someone_with_no_history(bob, shelf):
    picks = data.recommendations(bob)
    assert len(picks) == 6
    assert {r.kind for _, r in picks} == {"popular"}


def test_it_drops_a_track_hidden_after_the_catalog_was_built(bob, shelf):
    shelf["chip1"].rate(bob, 5)
    data.recommendations(bob)  # builds and caches the catalog and Bob's picks
    type(shelf["chip2"]).objects.filter(pk=shelf["chip2"].pk).update(hidden=True)
    assert "Chip two" not in titles(bob)


def test_it_explains_a_pick_by_an_uploaded_clip():
    """Clips carry tagger embeddings in the same space as tracks: a clip alone can steer."""
    from musicweb.recommend import ranking
    from tests.recommend.helpers import style_embedding

    catalog = ranking.build_catalog(
        ids=[1, 2, 3],
        owners=[9, 9, 9],
        titles=["A", "B", "C"],
        tags=[["x"], ["x"], ["x"]],
        embeddings=[style_embedding(0), style_embedding(1), style_embedding(2)],
        popularity=[0, 0, 0],
        ratings=[],
    )
    taste = ranking.Taste(clips=(("My hum", style_embedding(2, 0.1)),), user_id=5)
    first = ranking.rank(catalog, taste, limit=3)[0]
    assert (first.track_id, first.reason.text) == (3, "because of your clip My hum")
    # A clip from another tagger (other length) is ignored rather than misread.
    other = ranking.Taste(clips=(("Old", [1.0, 0.0]),), user_id=5)
    assert ranking.rank(catalog, other, limit=1)[0].reason.kind == "popular"


def test_it_sees_history_changed_by_another_process(bob, shelf):
    """Each web process may keep its own cache: a change made elsewhere must still show."""
    from django.core.cache import cache

    from musicweb.recommend.data import user_token_key
    from tests.recommend.helpers import plays_of

    play(bob, shelf["orch1"])
    assert data.recommendations(bob)[0][1].text == "because you played Orchestra one"
    token = cache.get(user_token_key(bob.pk))
    plays_of(bob).delete()
    cache.set(user_token_key(bob.pk), token)  # this process never heard of the deletion
    assert {r.kind for _, r in data.recommendations(bob)} == {"popular"}


def test_it_uses_the_embeddings_of_uploaded_clips(bob, shelf):
    from tests.factories import make_clip
    from tests.recommend.helpers import style_embedding

    make_clip(bob, "My strings", embedding=style_embedding(1, 0.05))
    first, reason = data.recommendations(bob)[0]
    assert first.title.startswith("Orchestra")
    assert reason.text == "because of your clip My strings"
