"""The Content-Security-Policy in a real Chromium: every page's scripts, styles, players,
sockets and progress bars still work, and the browser reports no violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.factories import make_clip, make_job, make_track, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

# Gather every violation the page reports, from the first byte of each document.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def _visit(page, url: str, console: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__violations")
    blocked = [m for m in console if "Content Security Policy" in m]
    assert violations == [] and blocked == [], (url, violations, blocked)


def test_it_runs_every_page_under_the_policy(new_page, site, tmp_path):
    alice = make_user("alice", quota_mb=2)  # a small quota, so that the meter shows some use
    clip = make_clip(alice)
    make_job(alice, clip)  # a finished job for the My jobs list
    track = make_track(make_user("bob"), "Night drive")
    page = new_page(alice)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH_VIOLATIONS)
    assert "script-src 'self'" in page.goto("/").headers["content-security-policy"]

    for url in ("/", "/gallery/", "/jobs/", "/generate/", "/accounts/profile/", "/users/bob/"):
        _visit(page, url, console)

    # The storage meter keeps its width (the one inline style the policy allows).
    _visit(page, "/library/", console)
    assert int(page.locator(".meter").get_attribute("aria-valuenow")) > 0
    assert page.locator(".meter span").evaluate("el => el.getBoundingClientRect().width") > 0

    # The clip's player draws its waveform from the JSON block and plays.
    _visit(page, f"/library/{clip.uid}/", console)
    expect(page.locator("[data-waveform]")).to_be_visible()

    # The job page goes live over its socket (a module script, a WebSocket to 'self'). A short
    # job can finish before its page loads (then no socket opens), so watch a long one, then
    # cancel it through the page so the worker is free for what follows.
    long_job = make_job(alice, clip, seconds=120, seed=8)
    _visit(page, f"/jobs/{long_job.uid}/", console)
    expect(page.locator("[data-live]")).to_be_visible(timeout=30_000)
    page.locator("[data-cancel-form] button").click()
    expect(page.locator("[data-cancel-form]")).to_be_hidden(timeout=30_000)

    # A track page: the player bar starts, the play is counted through fetch, the rating form works.
    _visit(page, f"/tracks/{track.uid}/", console)
    page.locator("[data-player] [data-play]").click()  # plays in the bar, with its waveform
    page.wait_for_function(
        "() => document.querySelector('[data-playerbar] audio').currentTime > 0", timeout=30_000
    )
    expect(page.locator("[data-play-count]")).to_have_text("1", timeout=10_000)
    shot(page, "policy-track")
    assert page.evaluate("window.__violations") == []
    assert not [m for m in console if "Content Security Policy" in m]
