"""Gallery filters in a real Chromium: they apply as they change, without a reload or a break
in the music, and the address keeps them (so back and a shared link show the same list)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from generator.models import ModelVersion
from tests.e2e.conftest import PHONE, shot
from tests.factories import make_track, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def _params(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def test_it_applies_filters_at_once_and_keeps_them_in_the_address(new_page, site):
    texture = ModelVersion.objects.get(name="texture")
    mia = make_user("mia")
    make_track(mia, "Rain piano", tags="piano", model_version=texture)
    make_track(mia, "Dream choir", mode="dream", tags="choir")
    page = new_page(make_user("ned"))
    page.goto("/gallery/")
    cards = page.locator("[data-track-list] .track-card")
    expect(cards).to_have_count(2)
    page.evaluate("window.__kept = true")
    model = page.locator("#model option")
    expect(model).to_have_count(2)  # "Any model" and the one that made a track
    expect(model.nth(1)).to_have_text(texture.label)

    page.select_option("#mode", "dream")
    expect(page).to_have_url(re.compile(r"/gallery/\?.*mode=dream"))
    assert _params(page) == {"sort": "newest", "mode": "dream"}  # no empty fields
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Dream choir")

    page.select_option("#mode", "")
    expect(page).to_have_url(re.compile(r"/gallery/\?sort=newest$"))
    expect(cards).to_have_count(2)
    page.locator("#q").press_sequentially("piano", delay=30)
    expect(page).to_have_url(re.compile(r"/gallery/\?.*q=piano"))
    assert _params(page) == {"sort": "newest", "q": "piano"}
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Rain piano")
    expect(page.locator("#q")).to_be_focused()  # typing goes on where it was
    assert page.evaluate("window.__kept === true")  # no page load

    page.go_back()  # to the mode cleared, before the search
    expect(page).to_have_url(re.compile(r"/gallery/\?sort=newest$"))
    expect(cards).to_have_count(2)
    page.goto("/gallery/?mode=dream")
    expect(page.locator("#mode")).to_have_value("dream")
    expect(cards).to_have_count(1)

    phone = new_page(viewport=PHONE)
    phone.goto("/gallery/?q=piano")
    expect(phone.locator("[data-track-list] .track-card")).to_have_count(1)
    shot(phone, "gallery-filtered-phone")
