"""Who may reach what: every page, file and API endpoint of one person's objects, as a visitor,
another user (Bob), the owner (Alice) and staff (Charlie).

One row per request; the columns say what each actor must get. "login" is a redirect to the
login page, "admin" a redirect to the admin's login. 404 (never 403) for what a person may not
even see, so ids leak nothing; 403 where they may see but not change.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from generator.models import GenerationJob, ModelVersion
from musicweb.gallery.models import Rating, Report
from musicweb.library.models import Clip

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "bob", "charlie", "alice")  # the owner last: some rows change things
API_ANON = 401  # an unauthenticated API request (token auth answers with a challenge)

# (method, url, {actor: expected}, data); {clip}, {private}, {public}, {job}, {model} are filled in.
PAGES = [
    # Private clips: pages and files.
    ("get", "/library/{clip}/", ("login", 404, 404, 200)),
    ("get", "/library/{clip}/audio", ("login", 404, 404, 200)),
    ("get", "/library/{clip}/audio?download=1", ("login", 404, 404, 200)),
    ("get", "/library/{clip}/spectrogram.png", ("login", 404, 404, 200)),
    ("get", "/library/{clip}/delete/", ("login", 404, 404, 200)),
    ("post", "/library/{clip}/", ("login", 404, 404, 302), {"title": "Mine", "tags": ""}),
    ("post", "/library/{clip}/delete/", ("login", 404, 404, 302)),
    ("get", "/generate/?clip={clip}", ("login", 200, 200, 200)),  # the form ignores others' clips
    # Unpublished tracks: page, audio in every format, spectrogram, changes.
    ("get", "/tracks/{private}/", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/audio.wav", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/audio.flac", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/audio.ogg", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/audio.mp3", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/audio.wav?download=1", (404, 404, 200, 200)),
    ("get", "/tracks/{private}/spectrogram.png", (404, 404, 200, 200)),
    ("post", "/tracks/{private}/publish/", ("login", 404, 403, 302), {"title": "Out"}),
    ("post", "/tracks/{private}/unpublish/", ("login", 404, 403, 302)),
    ("post", "/tracks/{private}/rating/", (404, 404, 302, 302), {"stars": 5}),
    ("post", "/tracks/{private}/play/", (404, 404, 200, 200)),
    ("post", "/tracks/{private}/report/", ("login", 404, 302, 302), {"reason": "spam"}),
    # A published track: anyone reads; only the owner changes it.
    ("get", "/tracks/{public}/", (200, 200, 200, 200)),
    ("get", "/tracks/{public}/audio.wav", (200, 200, 200, 200)),
    ("post", "/tracks/{public}/publish/", ("login", 403, 403, 302), {"title": "Out"}),
    ("post", "/tracks/{public}/unpublish/", ("login", 403, 403, 302)),
    # Others' jobs: page, cancel, again, the form prefilled from one.
    ("get", "/jobs/{job}/", ("login", 404, 200, 200)),
    ("post", "/jobs/{job}/cancel/", ("login", 404, 302, 302)),
    ("post", "/jobs/{job}/again/", ("login", 404, 404, 302)),
    ("get", "/generate/?from={job}", ("login", 404, 200, 200)),
    # The admin and the staff model registry.
    ("get", "/admin/", ("admin", "admin", 200, "admin")),
    ("get", "/admin/library/clip/", ("admin", "admin", 200, "admin")),
    ("get", "/admin/gallery/track/", ("admin", "admin", 200, "admin")),
    ("get", "/admin/generator/generationjob/", ("admin", "admin", 200, "admin")),
    ("get", "/admin/accounts/user/", ("admin", "admin", 200, "admin")),
    ("get", "/staff/models/", ("admin", "admin", 200, "admin")),
    ("get", "/staff/models/compare/?v={model}", ("admin", "admin", 200, "admin")),
    ("post", "/staff/models/upload/", ("admin", "admin", 302, "admin"), {"name": "x"}),
    ("post", "/staff/models/{model}/activate/", ("admin", "admin", 302, "admin")),
    ("get", "/staff/training/new/", ("admin", "admin", 200, "admin")),
]

API = [
    ("get", "/api/clips/{clip}/", (API_ANON, 404, 404, 200)),
    ("patch", "/api/clips/{clip}/", (API_ANON, 404, 404, 200), {"title": "Renamed"}),
    ("delete", "/api/clips/{clip}/", (API_ANON, 404, 404, 204)),
    ("get", "/api/tracks/{private}/", (404, 404, 200, 200)),
    ("get", "/api/tracks/{private}/similar/", (404, 404, 200, 200)),
    ("post", "/api/tracks/{private}/publish/", (API_ANON, 404, 403, 200), {"title": "Out"}),
    ("put", "/api/tracks/{private}/rating/", (API_ANON, 404, 403, 403), {"stars": 5}),
    ("post", "/api/tracks/{private}/report/", (API_ANON, 404, 403, 403), {"reason": "spam"}),
    ("post", "/api/tracks/{public}/publish/", (API_ANON, 403, 403, 200), {"title": "Out"}),
    ("post", "/api/tracks/{public}/unpublish/", (API_ANON, 403, 403, 200)),
    ("get", "/api/jobs/{job}/", (API_ANON, 404, 200, 200)),
    ("post", "/api/jobs/{job}/cancel/", (API_ANON, 404, 200, 200)),
    ("get", "/api/clips/", (API_ANON, 200, 200, 200)),
    ("get", "/api/jobs/", (API_ANON, 200, 200, 200)),
    ("get", "/api/tracks/?mine=true", (401, 200, 200, 200)),
]


def _ids(rows) -> list[str]:
    return [f"{row[0].upper()} {row[1]}" for row in rows]


def _client(world, actor: str, api: bool):
    client = APIClient() if api else Client()
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    return client


def _url(template: str, world) -> str:
    return template.format(
        clip=world.clip.uid,
        private=world.private_track.uid,
        public=world.public_track.uid,
        job=world.job.uid,
        model=world.model.pk,
    )


def _check(response, expected, actor: str, label: str) -> None:
    if expected == "login":
        assert response.status_code == 302, (actor, label, response.status_code)
        assert response["Location"].startswith("/accounts/login/"), (actor, label)
    elif expected == "admin":
        assert response.status_code == 302, (actor, label, response.status_code)
        assert response["Location"].startswith("/admin/login/"), (actor, label)
    else:
        assert response.status_code == expected, (actor, label, response.status_code)


def _run(world, rows_entry, api: bool) -> None:
    method, template, expected, *rest = rows_entry
    data = rest[0] if rest else {}
    url = _url(template, world)
    for actor, want in zip(ACTORS, expected, strict=True):
        client = _client(world, actor, api)
        send = getattr(client, method)
        response = send(url, data, format="json") if api else send(url, data)
        _check(response, want, actor, f"{method.upper()} {url}")


@pytest.mark.parametrize("row", PAGES, ids=_ids(PAGES))
def test_it_guards_every_page_and_file(world, row):
    _run(world, row, api=False)


@pytest.mark.parametrize("row", API, ids=_ids(API))
def test_it_guards_every_api_endpoint(world, row):
    _run(world, row, api=True)


def test_it_lets_no_one_else_change_alices_things(world):
    """Every forbidden write above left Alice's objects as they were."""
    for row in [r for r in PAGES + API if r[0] != "get"]:
        method, template, expected, *rest = row
        for actor in ("anonymous", "bob"):
            client = _client(world, actor, api=template.startswith("/api/"))
            getattr(client, method)(_url(template, world), rest[0] if rest else {})
    world.clip.refresh_from_db()
    world.private_track.refresh_from_db()
    world.job.refresh_from_db()
    world.model.refresh_from_db()
    assert Clip.objects.filter(pk=world.clip.pk, title="Secret sketch").exists()
    assert not world.private_track.published and world.private_track.title == "Unreleased"
    assert world.job.status == "queued" and not world.job.cancel_requested
    assert GenerationJob.objects.count() == 1
    assert world.model.state == ModelVersion.State.DRAFT
    assert not Rating.objects.exists() and not Report.objects.exists()


def test_it_lists_only_ones_own_things_through_the_api(world):
    client = _client(world, "bob", api=True)
    assert client.get("/api/clips/").json()["results"] == []
    assert client.get("/api/jobs/").json()["results"] == []
    assert client.get("/api/tracks/?mine=true").json()["results"] == []
    listed = [t["uid"] for t in client.get("/api/tracks/").json()["results"]]
    assert listed == [str(world.public_track.uid)]
