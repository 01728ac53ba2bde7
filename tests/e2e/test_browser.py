"""The site in a real Chromium: sign up, upload, generate with live progress, listen, download,
publish, rate from a second account, cancel and reload a running job, activate a model as staff.

Screenshots of the main pages land in artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from generator.models import GenerationJob, ModelVersion
from musicweb.gallery.models import Track
from tests.conftest import real_recording
from tests.e2e.conftest import PHONE, shot
from tests.factories import make_clip, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

# Record every value the job page's percent text takes, and mark the document so a
# reload would show (the mark disappears with the old document).
WATCH_PERCENT = """
window.__percents = [];
window.__sameDocument = true;
document.addEventListener("DOMContentLoaded", () => {
  const el = document.querySelector("[data-percent]");
  if (!el) return;
  window.__percents.push(el.textContent.trim());
  new MutationObserver(() => window.__percents.push(el.textContent.trim()))
    .observe(el, {childList: true, characterData: true, subtree: true});
});
"""

AUDIO_DURATION = """
async (selector) => {
  const audio = document.querySelector(selector);
  if (audio.readyState < 1) {
    await new Promise((resolve, reject) => {
      audio.addEventListener("loadedmetadata", resolve, {once: true});
      const fail = () => reject(new Error("audio error " + audio.error?.code));
      audio.addEventListener("error", fail, {once: true});
      if (audio.networkState === HTMLMediaElement.NETWORK_EMPTY) audio.load();
    });
  }
  return audio.duration;
}
"""

IMAGE_LOADED = """
(selector) => {
  const img = document.querySelector(selector);
  img.loading = "eager";
  return img.complete && img.naturalWidth > 0;
}
"""


def _percent(page) -> int:
    return int(page.locator("[data-percent]").inner_text().strip().rstrip("%"))


def _wait_percent_above(page, value: int, timeout: float) -> None:
    page.wait_for_function(
        "(value) => Number(document.querySelector('[data-percent]').textContent.replace('%', ''))"
        " > value",
        arg=value,
        timeout=timeout * 1000,
    )


def _user_with_clip(name: str, new_page, tmp_path, **page_options):
    """A user made with the ORM, the real trumpet clip in their library, and a signed-in page."""
    user = make_user(name)
    clip = make_clip(user, full=True)
    return user, clip, new_page(user, **page_options)


def _sign_up(page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_password1", "a long test passphrase 42")
    page.fill("#id_password2", "a long test passphrase 42")
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    expect(page).to_have_url(re.compile(r"/library/$"))


def test_it_walks_from_sign_up_to_a_published_rated_track(new_page, site):
    alice = new_page()
    alice.goto("/")
    shot(alice, "home-desktop")
    alice.get_by_role("link", name="Sign up").first.click()
    expect(alice).to_have_url(re.compile(r"/accounts/signup/$"))
    shot(alice, "signup-desktop")
    _sign_up(alice, "alice")

    # Upload a real recording through the file picker; the page lists it without a reload.
    alice.set_input_files("input[type=file]", str(real_recording("sorohanro_solo_trumpet.ogg")))
    expect(alice.locator("[data-upload-list] .status.ok")).to_be_visible(timeout=60_000)
    expect(alice.locator("[data-clip-list] .tile")).to_have_count(1)
    shot(alice, "library-desktop")
    alice.locator("[data-clip-list] .tile a").first.click()
    expect(alice.locator("h1")).to_have_text("sorohanro_solo_trumpet")
    alice.wait_for_function(IMAGE_LOADED, arg="img.spectrogram")
    assert (
        alice.get_attribute("[data-player] [data-play]", "aria-label")
        == "Play sorohanro_solo_trumpet"
    )
    shot(alice, "clip-desktop")

    # Generate a 6-second variation and watch the live progress without reloading.
    alice.get_by_role("link", name="Generate from this clip").click()
    expect(alice.locator("#id_clip")).to_have_value(re.compile(r"[0-9a-f-]{36}"))
    alice.fill("#id_seconds", "6")
    alice.fill("#id_title", "Trumpet haze")
    shot(alice, "generate-desktop")
    alice.context.add_init_script(WATCH_PERCENT)
    alice.locator("form[data-generate-form] button[type=submit]").click()
    expect(alice).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    expect(alice.locator("[data-live]")).to_be_visible()
    _wait_percent_above(alice, 0, timeout=120)
    shot(alice, "job-running-desktop")
    expect(alice.locator("[data-status]")).to_have_text("Done", timeout=180_000)
    seen = alice.evaluate("window.__percents")
    assert alice.evaluate("window.__sameDocument") is True  # no reload happened
    before_done = {value for value in seen if value != "100%"}
    assert len(before_done) >= 3, f"progress did not move live: {seen}"
    values = [int(value.rstrip("%")) for value in seen]
    assert values == sorted(values), f"progress went backwards: {seen}"

    # Hear it: the player arrives without a reload, plays in the bar and holds about six seconds.
    expect(alice.locator("[data-result] [data-play]")).to_be_visible(timeout=30_000)
    assert alice.get_attribute("[data-result] [data-play]", "aria-label") == "Play Trumpet haze"
    alice.locator("[data-result] [data-play]").click()
    expect(alice.locator("[data-playerbar] [data-title]")).to_have_text("Trumpet haze")
    duration = alice.evaluate(AUDIO_DURATION, "[data-playerbar] audio")
    assert duration == pytest.approx(6, abs=0.5)
    shot(alice, "job-done-desktop")

    # Download the WAV.
    with alice.expect_download() as download:
        alice.locator("[data-result] a", has_text="WAV").click()
    head = open(download.value.path(), "rb").read(12)  # noqa: SIM115 - tiny read
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    assert download.value.suggested_filename.endswith(".wav")

    # Publish from the track page.
    alice.get_by_role("link", name=re.compile("Open track page")).click()
    expect(alice.locator(".message")).to_contain_text("private")
    alice.fill("#id_tags", "jazz, trumpet")
    alice.fill("#id_description", "A trumpet loop, stretched.")
    alice.get_by_role("button", name="Publish").click()
    expect(alice.locator(".messages")).to_contain_text("Published")
    track_url = alice.url
    shot(alice, "track-desktop")
    alice.goto("/jobs/")
    expect(alice.locator("main")).to_contain_text("Trumpet haze")
    shot(alice, "jobs-desktop")
    alice.goto("/users/alice/")
    expect(alice.locator("main")).to_contain_text("Trumpet haze")
    shot(alice, "profile-desktop")
    alice.goto("/accounts/profile/")
    shot(alice, "account-desktop")
    alice.goto(track_url)
    alice.evaluate("window.stayed = true")  # gone if the page reloads

    # Bob finds it in the gallery, plays it and rates it.
    bob = new_page()
    _sign_up(bob, "bob")
    bob.goto("/gallery/")
    card = bob.locator("[data-track-list] .track-card", has_text="Trumpet haze")
    expect(card).to_have_count(1)
    bob.wait_for_function(IMAGE_LOADED, arg="[data-track-list] .track-card img")
    shot(bob, "gallery-desktop")
    card.locator("a").first.click()
    expect(bob).to_have_url(track_url)
    bob.locator("[data-player] [data-play]").click()
    expect(bob.locator("[data-play-count]")).to_have_text("1", timeout=15_000)
    bob.get_by_role("button", name=re.compile("4")).first.click()
    expect(bob.locator("[data-rating-average]")).to_have_text("4.00 of 5")
    expect(bob.locator("[data-rating-mine]")).to_contain_text("4 of 5")
    shot(bob, "track-rated-desktop")
    track = Track.objects.get()
    assert (track.rating_count, track.rating_sum, track.play_count) == (1, 4, 1)

    # Alice's track page, open all along, shows the new average and play without a reload.
    expect(alice.locator("[data-rating-average]")).to_have_text("4.00 of 5", timeout=10_000)
    expect(alice.locator("[data-rating-count]")).to_have_text("1")
    expect(alice.locator("[data-play-count]")).to_have_text("1")
    assert alice.evaluate("window.stayed === true")

    phone = new_page(viewport=PHONE)
    phone.goto("/gallery/")
    shot(phone, "gallery-phone")
    phone.goto(track_url)
    shot(phone, "track-phone")
    phone.goto("/")
    shot(phone, "home-phone")


def test_it_keeps_a_job_live_across_a_reload_and_cancels_it(new_page, site, tmp_path):
    dana, clip, page = _user_with_clip("dana", new_page, tmp_path)
    page.goto(f"/generate/?clip={clip.uid}")
    page.fill("#id_seconds", "120")
    page.locator("form[data-generate-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    _wait_percent_above(page, 1, timeout=120)
    before = _percent(page)
    page.reload()
    expect(page.locator("[data-status]")).to_have_text("Running")
    after = _percent(page)
    assert after >= before
    expect(page.locator("[data-live]")).to_be_visible()
    _wait_percent_above(page, after, timeout=60)
    shot(page, "job-running-after-reload-desktop")

    page.goto("/jobs/")
    expect(page.locator("main")).to_contain_text("Running")
    shot(page, "jobs-running-desktop")
    page.go_back()

    page.get_by_role("button", name="Cancel").click()
    started = time.monotonic()
    expect(page.locator("[data-status]")).to_have_text("Cancelled", timeout=10_000)
    assert time.monotonic() - started < 10
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    shot(page, "job-cancelled-desktop")
    job = GenerationJob.objects.get()
    assert job.status == "cancelled" and not Track.objects.exists()

    phone = new_page(dana, viewport=PHONE)
    phone.goto(f"/jobs/{job.uid}/")
    shot(phone, "job-cancelled-phone")
    phone.goto(f"/library/{clip.uid}/")
    shot(phone, "clip-phone")
    phone.goto("/library/")
    shot(phone, "library-phone")
    phone.goto("/generate/")
    shot(phone, "generate-phone")


def test_it_offers_a_model_on_the_generate_page_once_staff_activate_it(new_page, site):
    staff = make_user("sam", is_staff=True, is_superuser=True)
    draft = ModelVersion.objects.create(
        name="texture-plus", arch="texture", modes=["variation", "style"], state="draft"
    )
    page = new_page(staff)
    page.goto("/generate/")
    model_select = page.locator("#id_model_version")
    expect(model_select.locator("option", has_text="texture-plus")).to_have_count(0)

    page.goto("/staff/models/")
    row = page.locator("tr", has_text="texture-plus")
    expect(row).to_contain_text(re.compile("draft", re.I))
    shot(page, "staff-models-desktop")
    row.get_by_role("button", name="Activate").click()
    expect(page.locator(".messages")).to_contain_text("is active")
    draft.refresh_from_db()
    assert draft.state == "active"

    page.goto("/generate/")
    expect(model_select.locator("option", has_text="texture-plus")).to_have_count(1)
    # Dream is served by the diffusion U-Net, not by a texture model: the page hides it there.
    page.locator("input[name=mode][value=dream]").check()
    expect(model_select.locator("option", has_text="texture-plus")).to_have_count(0)

    phone = new_page(staff, viewport=PHONE)
    phone.goto("/staff/models/")
    shot(phone, "staff-models-phone")


def test_it_works_from_the_keyboard_with_labelled_players(new_page, site, tmp_path):
    _, clip, page = _user_with_clip("erin", new_page, tmp_path)

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        pytest.fail(f"Tab never reached {selector}")

    page.goto("/library/")
    tab_to("input[type=file]")
    # The focus shows on the input or on the drop zone around it.
    assert page.evaluate(
        """() => {
          const el = document.activeElement;
          const shown = (node) => {
            const style = getComputedStyle(node);
            const outline = style.outlineStyle !== "none" && style.outlineWidth !== "0px";
            return style.boxShadow !== "none" || outline;
          };
          return shown(el) || shown(el.closest("[data-dropzone]"));
        }"""
    ), "keyboard focus on the upload input is not visible"

    page.goto(f"/generate/?clip={clip.uid}&seconds=2")
    tab_to("form[data-generate-form] button[type=submit]")
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    assert page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    GenerationJob.objects.get().cancel()  # no need to run it

    for url in (f"/library/{clip.uid}/", "/gallery/"):
        page.goto(url)
        labels = page.evaluate(
            "[...document.querySelectorAll('audio')].map((a) => a.getAttribute('aria-label'))"
        )
        assert all(labels), f"an audio element on {url} has no aria-label: {labels}"
