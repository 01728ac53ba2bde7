"""Markup in titles, tags, descriptions, names and file names is shown as text everywhere."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_clip, make_job, make_track

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{IMG}"
# What must never reach a page unescaped.
RAW = ["<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>"]


@pytest.fixture
def hostile(alice, bob, charlie):
    alice.display_name = PAYLOAD
    alice.save()
    clip = make_clip(alice, title=PAYLOAD, tags=f"{SCRIPT}, {IMG}", original_name=f"{IMG}.wav")
    job = make_job(alice, clip, title=PAYLOAD, source_names=[PAYLOAD], error=PAYLOAD)
    track = make_track(alice, PAYLOAD, description=PAYLOAD, tags=f"{SCRIPT}, {IMG}")
    job.track = track
    job.status = "done"
    job.save()
    return {"clip": clip, "job": job, "track": track, "alice": alice, "charlie": charlie}


def _pages(h) -> list[tuple[str, str]]:
    clip, job, track = h["clip"], h["job"], h["track"]
    return [
        ("alice", "/library/"),
        ("alice", f"/library/{clip.uid}/"),
        ("alice", f"/library/{clip.uid}/delete/"),
        ("alice", f"/jobs/{job.uid}/"),
        ("alice", "/jobs/"),
        ("alice", f"/generate/?clip={clip.uid}"),
        ("alice", f"/generate/?from={job.uid}"),
        ("anonymous", "/gallery/"),
        ("anonymous", f"/gallery/?q={SCRIPT}&tag={IMG}"),
        ("anonymous", f"/tracks/{track.uid}/"),
        ("alice", f"/tracks/{track.uid}/"),
        ("anonymous", f"/users/{h['alice'].username}/"),
        ("alice", "/accounts/profile/"),
        ("charlie", "/admin/library/clip/"),
        ("charlie", f"/admin/library/clip/{clip.pk}/change/"),
        ("charlie", "/admin/gallery/track/"),
        ("charlie", f"/admin/gallery/track/{track.pk}/change/"),
        ("charlie", "/admin/generator/generationjob/"),
        ("charlie", f"/admin/generator/generationjob/{job.pk}/change/"),
        ("charlie", "/admin/accounts/user/"),
    ]


def test_it_shows_markup_as_text_on_every_page(hostile):
    for actor, url in _pages(hostile):
        client = Client()
        if actor != "anonymous":
            client.force_login(hostile[actor])
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.content.decode()
        for raw in RAW:
            assert raw not in page, (url, raw)
        assert "&lt;script&gt;alert(1)" in page, url


def test_it_returns_markup_as_json_strings_in_the_api(hostile):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(hostile["alice"])
    body = api.get(f"/api/tracks/{hostile['track'].uid}/")
    assert body["Content-Type"] == "application/json"
    assert body.json()["title"] == PAYLOAD
