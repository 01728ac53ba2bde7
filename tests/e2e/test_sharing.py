"""Sharing in a real Chromium: copy the link from the track page, and play the track in an
iframe on another site's page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, shot
from tests.factories import make_track, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


@contextmanager
def _blog(folder: Path, html: str) -> Iterator[str]:
    """Serve one page from another origin (a loopback port of its own) while in the block."""
    (folder / "index.html").write_text(html)
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_it_copies_the_link_and_plays_in_an_embed(new_page, site, tmp_path):
    track = make_track(make_user("lena"), "Night drive")
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.goto(f"/tracks/{track.uid}/")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-copied]")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{site.url}/tracks/{track.uid}/"
    page.get_by_role("button", name="Copy embed code").click()
    embed_code = page.evaluate("navigator.clipboard.readText()")
    assert embed_code.startswith(f'<iframe src="{site.url}/tracks/{track.uid}/embed/"')
    shot(page, "track-share-desktop")

    # Another site's page frames the player: a second server on this machine, another origin.
    other = new_page(viewport=PHONE)
    with _blog(
        tmp_path, f"<!doctype html><title>A blog</title><h1>A blog</h1>{embed_code}"
    ) as blog:
        other.goto(blog)
        frame = other.frame_locator("iframe")
        expect(frame.get_by_role("link", name="Night drive")).to_be_visible()
        frame.locator("audio").evaluate("audio => audio.play()")
        other.frames[1].wait_for_function("() => document.querySelector('audio').currentTime > 0")
        shot(other, "embed-phone", full_page=False)
