"""Every main page at phone width (390 px) with 120-character names: nothing scrolls sideways,
the navigation is there and marks the page. Screenshots of each page at both widths.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from generator.models import GenerationJob, JobStatus
from musicweb.gallery.models import Track
from musicweb.library.models import Clip
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.factories import make_clip, make_job, make_track, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]

# One unbroken word is the hardest case for wrapping; the rest are ordinary words.
LONG = "Supercalifragilisticexpialidocious-remix-of-the-longest-trumpet-take" + (
    " that goes on and on and on and never seems to end!!"
)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("#page *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1
      || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible"))
    .filter((el) => !el.closest(".table-wrap"))  // tables scroll inside their own box
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
  return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
}"""


def _pages(clip: Clip, track: Track, job: GenerationJob, username: str) -> dict[str, str]:
    return {
        "home": "/",
        "gallery": "/gallery/",
        "library": "/library/",
        "clip": f"/library/{clip.uid}/",
        "generate": f"/generate/?clip={clip.uid}",
        "jobs": "/jobs/",
        "job": f"/jobs/{job.uid}/",
        "track": f"/tracks/{track.uid}/",
        "profile": f"/users/{username}/",
        "account": "/accounts/profile/",
    }


def test_it_never_scrolls_sideways_with_long_names(new_page, site, tmp_path):
    assert len(LONG) == 120
    ivy = make_user("ivy")
    clip = make_clip(ivy)
    Clip.objects.filter(pk=clip.pk).update(title=LONG, original_name=f"{LONG}.ogg")
    track = make_track(ivy, title=LONG, tags="long, names")
    job = make_job(ivy, clip, title=LONG)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)

    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(ivy, viewport=viewport)
        for name, url in _pages(clip, track, job, "ivy").items():
            page.goto(url)
            expect(page.locator("header nav")).to_be_visible()
            result = page.evaluate(OVERFLOW)
            assert result["scroll"] <= result["width"], f"{url} at {suffix}: {result}"
            shot(page, f"long-{name}-{suffix}")
        # The navigation works at this width: it follows a link and marks the page.
        page.locator("header nav").get_by_role("link", name="Library").click()
        expect(page.locator("h1")).to_have_text("Your library")
        expect(page.locator("header nav a[aria-current=page]")).to_have_text("Library")

    visitor = new_page(viewport=PHONE)
    for url in ("/", "/gallery/", "/accounts/login/", "/accounts/signup/", f"/tracks/{track.uid}/"):
        visitor.goto(url)
        result = visitor.evaluate(OVERFLOW)
        assert result["scroll"] <= result["width"], f"{url} signed out: {result}"
    shot(visitor, "long-track-visitor-phone")
