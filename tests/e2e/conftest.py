"""A real site (uvicorn + a job worker, as `make run` starts them) and a real Chromium.

The site is started once per module and shares the test run's SQLite files and
a media folder with this process, so a test can add rows with the ORM (a staff
user, a draft model version) and watch the pages act on them. Each test's data
is flushed after it (transactional tests), so every test signs in afresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import REPO
from tests.stack import Stack

SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The gallery counts a play when a player starts; let a script start one.
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class Site:
    def __init__(self, stack: Stack, url: str, media: Path) -> None:
        self.stack, self.url, self.media = stack, url, media


def _collectstatic(env: dict) -> None:
    """Production static storage (manifest) needs collected files, as `make run` makes."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs it)")
    media = tmp_path_factory.mktemp("e2e-media")
    with django_db_blocker.unblock():
        stack = Stack(MEDIA_ROOT=str(media), JOB_LEASE_SECONDS="10")
        stack.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        _collectstatic(stack.env)
        stack.start_workers(1)
        try:
            url = stack.start_web()
        except Exception:
            stack.stop()
            raise
    yield Site(stack, url, media)
    stack.stop()


@pytest.fixture(autouse=True)
def _site_media(settings, _media_root, site):
    """Rows made here must point at files the server can read."""
    settings.MEDIA_ROOT = site.media


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # tests themselves are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser, site):
    """Open pages in fresh browser contexts (separate cookies), closed after the test."""
    contexts = []

    def open_page(user=None, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=site.url, accept_downloads=True)
        context.set_default_timeout(30_000)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": site.url}])
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under artifacts/screenshots/ (git-ignored) and return its path."""
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would land mid-page otherwise
    page.screenshot(path=str(path), full_page=full_page)
    return path
