"""A practice piece in a real Chromium, at desktop and phone width: written from the form,
played with the score cursor moving, slowed without a pitch change, looped, counted in.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from generator.engine.practice.compose import LEVELS
from tests.conftest import make_user
from tests.e2e.conftest import DESKTOP, PHONE, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

BAR = 4 * 60 / LEVELS[1].bpm
LIT = "() => [...document.querySelectorAll('[data-score] g.note.playing')].map(n => n.id).join()"


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_it_plays_a_practice_piece_with_its_score_cursor(new_page, site, name, viewport):
    page = new_page(make_user(f"player{name}"), viewport=viewport)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto("/practice/")
    page.select_option("#id_instrument", "flute")
    page.select_option("#id_style", "folk")
    page.select_option("#id_level", "1")
    page.fill("#id_bars", "4")
    page.get_by_role("button", name="Write the piece").click()
    expect(page).to_have_url(re.compile(r"/practice/[0-9a-f-]{36}/$"), timeout=60_000)
    expect(page.locator("[data-score] > svg")).to_be_visible()
    expect(page.locator("[data-controls]")).to_be_visible()
    shot(page, f"practice-{name}")

    page.select_option("[data-speed]", "0.75")
    rate = page.evaluate("(() => { const a = document.querySelector('[data-audio]');"
                         " return [a.playbackRate, a.preservesPitch]; })()")  # fmt: skip
    assert rate == [0.75, True]

    page.evaluate("document.querySelector('[data-audio]').play()")
    page.wait_for_function(f"() => ({LIT})() !== ''", timeout=15_000)
    first = page.evaluate(LIT)
    page.wait_for_function(f"(first) => ({LIT})() !== '' && ({LIT})() !== first", arg=first,
                           timeout=20_000)  # fmt: skip

    # Loop bar 1: from just before its end the player jumps back to its start.
    page.check("[data-loop]")
    page.fill("[data-loop-from]", "1")
    page.fill("[data-loop-to]", "1")
    page.evaluate("(t) => { document.querySelector('[data-audio]').currentTime = t; }", BAR - 0.2)
    page.wait_for_timeout(1500)
    assert page.evaluate("document.querySelector('[data-audio]').currentTime") < BAR

    page.evaluate("document.querySelector('[data-audio]').pause()")
    page.check("[data-metronome]")
    page.get_by_role("button", name="Play after a count-in").click()
    expect(page.locator("[data-practice-status]")).to_have_text("Count-in…")
    page.wait_for_function("() => !document.querySelector('[data-audio]').paused", timeout=15_000)
    assert not problems, problems
