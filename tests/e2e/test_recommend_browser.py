"""For you and radio in a real Chromium, at desktop and phone width.

The radio page plays with its own <audio> (radio.js), advancing when a track
ends, reporting a track left early as skipped, and asking the server for more
before its queue runs dry. The site-wide player is not part of the site yet;
radio.js hands its tracks to that player when one is present.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from musicweb.recommend.models import Skip
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.factories import make_user
from tests.recommend.helpers import make_styled

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_it_recommends_and_keeps_a_radio_going(new_page, viewport):
    alice, bob = make_user("alice"), make_user("bob")
    tracks = [make_styled(alice, f"Chip {n}", 0, n / 20) for n in range(15)]
    make_styled(alice, "Orchestra", 1)
    tracks[0].rate(bob, 5)

    page = new_page(bob, viewport=viewport)
    page.goto("/for-you/")
    cards = page.locator("[data-for-you] .track-card")
    expect(cards.first.locator(".reason")).to_have_text("Because you rated Chip 0 5 stars")
    titles = page.locator("[data-for-you] .tile-title").all_inner_texts()
    assert "Chip 0" not in titles and len(titles) == 15
    name = "desktop" if viewport == DESKTOP else "phone"
    shot(page, f"for-you-{name}")

    cards.first.get_by_role("link", name="Radio from this").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Radio from")
    queue = page.locator("[data-radio-queue] li")
    expect(queue).to_have_count(10)
    first = queue.first.get_attribute("data-uid")
    page.locator("[data-radio-audio]").evaluate("audio => audio.play()")
    expect(page.locator("[data-radio-now]")).to_contain_text("Now playing")
    page.get_by_role("button", name="Skip to next").click()
    # Tracks are half a second long: the radio plays on by itself, and fetches the rest.
    expect(queue).to_have_count(15, timeout=20_000)
    expect(page.locator("[data-radio-queue] li[aria-current]")).to_have_attribute(
        "data-uid", queue.nth(14).get_attribute("data-uid"), timeout=20_000
    )
    assert list(Skip.objects.filter(user=bob).values_list("track__uid", flat=True)) == [
        uuid.UUID(first)
    ]
    uids = queue.evaluate_all("items => items.map(li => li.dataset.uid)")
    assert len(set(uids)) == len(uids)
    shot(page, f"radio-{name}")
