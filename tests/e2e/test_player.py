"""The site's one player in a real Chromium: it keeps playing while the visitor browses,
queues the page's items, answers the keyboard, seeks from its waveform and shows m:ss.

Screenshots: player-desktop.png and player-phone.png in artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from musicweb.gallery.templatetags.music import mmss
from musicweb.library.ingest import ingest
from tests.conftest import real_recording
from tests.e2e.conftest import PHONE, shot
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

BAR_AUDIO = "[data-playerbar] audio"
# Keep a handle on the bar's audio element and mark the document: a full page load
# would lose both, a torn-down bar would leave the handle pointing at a detached node.
MARK = "window.__bar = document.querySelector('[data-playerbar] audio'); window.__kept = true"
SAME_BAR = (
    "window.__kept === true && window.__bar === document.querySelector('[data-playerbar] audio')"
    " && window.__bar.isConnected"
)


def _clip(owner, recording: str, title: str):
    path = real_recording(recording)
    return ingest(owner, SimpleUploadedFile(f"{title}{path.suffix}", path.read_bytes()))


def _time(page) -> float:
    return page.evaluate(f"document.querySelector({BAR_AUDIO!r}).currentTime")


def _wait_time_above(page, seconds: float) -> None:
    page.wait_for_function(
        f"(t) => !document.querySelector({BAR_AUDIO!r}).paused"
        f" && document.querySelector({BAR_AUDIO!r}).currentTime > t",
        arg=seconds,
        timeout=15_000,
    )


def test_it_keeps_playing_across_page_changes(new_page, site):
    frank = make_user("frank")
    brahms = _clip(frank, "brahms_hungarian_dance_5.ogg", "brahms")
    vibe = _clip(frank, "macleod_vibe_ace.ogg", "vibe")
    page = new_page(frank)
    page.goto("/library/")
    expect(page.locator("[data-playerbar]")).to_be_hidden()

    # Newest first: vibe, then brahms. Playing vibe queues brahms after it.
    page.get_by_role("button", name="Play vibe").click()
    bar = page.locator("[data-playerbar]")
    expect(bar).to_be_visible()
    expect(bar.locator("[data-title]")).to_have_text("vibe")
    _wait_time_above(page, 0.3)
    expect(bar.locator("[data-queue-count]")).to_have_text("2")
    expect(bar.locator("[data-duration]")).to_have_text(mmss(vibe.duration))
    expect(bar.locator("[data-time]")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.get_by_role("button", name="Play vibe")).to_have_attribute("aria-pressed", "true")
    page.evaluate(MARK)

    # Two page changes through the navigation: the same audio element plays on.
    for link, path in (("Gallery", "/gallery/"), ("My jobs", "/jobs/")):
        before = _time(page)
        page.locator("header nav").get_by_role("link", name=link).click()
        expect(page).to_have_url(re.compile(rf"{path}$"))
        expect(page.locator("h1")).to_have_text(link)
        _wait_time_above(page, before + 0.3)
        assert page.evaluate(SAME_BAR)
    expect(page).to_have_title(re.compile("My jobs"))

    # Back goes back, still without reloading the bar.
    page.go_back()
    expect(page.locator("h1")).to_have_text("Gallery")
    assert page.evaluate(SAME_BAR)
    _wait_time_above(page, _time(page) + 0.3)

    # Keyboard: space pauses and resumes, the right arrow jumps 5 s on.
    page.locator("h1").click()  # focus on the page, not on a control
    page.keyboard.press("Space")
    page.wait_for_function(f"() => document.querySelector({BAR_AUDIO!r}).paused")
    expect(bar.locator("[data-toggle]")).to_have_attribute("aria-label", "Play")
    paused_at = _time(page)
    page.keyboard.press("ArrowRight")
    assert _time(page) == pytest.approx(paused_at + 5, abs=0.3)
    page.keyboard.press("Space")
    _wait_time_above(page, paused_at + 5.1)

    # A click on the waveform seeks there: three quarters of the way in.
    wave = bar.locator("[data-wave]")
    box = wave.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_function(
        f"(at) => Math.abs(document.querySelector({BAR_AUDIO!r}).currentTime - at) < 2",
        arg=0.75 * vibe.duration,
        timeout=5_000,
    )
    assert bar.locator("audio").get_attribute("controls") is None  # no second scrubber

    # Shift+right goes to the next in the queue; the queue lists both.
    page.keyboard.press("Shift+ArrowRight")
    expect(bar.locator("[data-title]")).to_have_text("brahms")
    expect(bar.locator("[data-duration]")).to_have_text(mmss(brahms.duration))
    bar.get_by_role("button", name=re.compile("Queue")).click()
    expect(bar.locator("[data-queue] li")).to_have_count(2)
    expect(bar.locator("[data-queue] li[aria-current]")).to_contain_text("brahms")
    page.goto("/library/")
    expect(bar).to_be_visible()  # a full load restores the queue and the item
    expect(bar.locator("[data-title]")).to_have_text("brahms")
    shot(page, "player-desktop", full_page=False)

    phone = new_page(frank, viewport=PHONE)
    phone.goto("/library/")
    phone.get_by_role("button", name="Play brahms").click()
    _wait_time_above(phone, 0.2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "player-phone", full_page=False)


def test_it_plays_a_track_page_and_counts_the_play(new_page, site):
    from tests.factories import make_track

    grace = make_user("grace")
    track = make_track(grace, title="Short loop")
    henry = new_page(make_user("henry"))
    henry.goto("/gallery/")
    card = henry.locator("[data-track-list] .track-card", has_text="Short loop")
    card.get_by_role("link", name="Short loop").click()
    expect(henry).to_have_url(re.compile(rf"/tracks/{track.uid}/$"))
    henry.evaluate(MARK)
    henry.locator("[data-player]").get_by_role("button", name="Play Short loop").click()
    expect(henry.locator("[data-play-count]")).to_have_text("1", timeout=15_000)
    assert henry.evaluate(SAME_BAR)  # the gallery-to-track change swapped the page in place
    track.refresh_from_db()
    assert track.play_count == 1


def test_it_plays_an_example_from_the_home_page_in_one_click(new_page, site):
    from tests.factories import make_track

    make_track(make_user("olga"), title="Night drive")
    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        visitor = new_page(**({"viewport": viewport} if viewport else {}))
        visitor.goto("/")
        visitor.get_by_role("button", name="Play Night drive").click()
        expect(visitor.locator("[data-playerbar] [data-title]")).to_have_text("Night drive")
        visitor.wait_for_function(
            f"() => document.querySelector({BAR_AUDIO!r}).played.length > 0"
            f" && document.querySelector({BAR_AUDIO!r}).played.end(0) > 0.1",
            timeout=15_000,
        )
        shot(visitor, f"home-{name}")
