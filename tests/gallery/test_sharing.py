"""Sharing a public track: Open Graph and Twitter card tags, and an embeddable player page
that other sites may frame. Private and hidden tracks give nothing away."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import make_track

pytestmark = pytest.mark.django_db


def _meta(html: str) -> dict[str, str]:
    pairs = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html)
    return dict(pairs)


def test_it_describes_a_public_track_for_link_previews(client, alice):
    track = make_track(alice, "Night drive", description="Slow and warm.")
    meta = _meta(client.get(f"/tracks/{track.uid}/").content.decode())
    base = f"http://testserver/tracks/{track.uid}"
    assert meta["og:title"] == "Night drive" and meta["og:type"] == "music.song"
    assert meta["og:url"] == f"{base}/"
    assert meta["og:description"] == "Slow and warm."
    assert meta["og:image"] == f"{base}/spectrogram.png"
    assert meta["og:audio"] == f"{base}/audio.ogg"
    assert meta["twitter:card"] == "player"
    assert meta["twitter:player"] == f"{base}/embed/"
    assert meta["twitter:image"] == meta["og:image"]


def test_it_gives_no_preview_of_a_private_track(client, alice):
    track = make_track(alice, "Sketch", published=False)
    client.force_login(alice)
    html = client.get(f"/tracks/{track.uid}/").content.decode()
    assert "og:title" not in html and "twitter:card" not in html and "/embed/" not in html


def test_it_serves_an_embed_page_other_sites_may_frame(alice):
    track = make_track(alice, "Night drive")
    response = Client().get(f"/tracks/{track.uid}/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    html = response.content.decode()
    assert (
        f'src="/tracks/{track.uid}/audio.ogg"' in html and 'aria-label="Play Night drive"' in html
    )
    # Every other page still refuses to be framed.
    gallery = Client().get("/gallery/")
    assert gallery["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in gallery["Content-Security-Policy"]


@pytest.mark.parametrize("fields", [{"published": False}, {"hidden": True}])
def test_it_embeds_no_private_or_hidden_track_even_for_its_owner(client, alice, fields):
    track = make_track(alice, "Sketch", **fields)
    client.force_login(alice)
    assert client.get(f"/tracks/{track.uid}/embed/").status_code == 404
