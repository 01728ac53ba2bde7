"""Clips over the API: upload, list, read, rename and tag, delete; only one's own."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from musicweb.library.models import Clip
from tests.api.conftest import error
from tests.conftest import synth_tone
from tests.library.helpers import media_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(api, alice, tmp_path):
    api.force_authenticate(alice)
    wav = synth_tone(tmp_path / "hum.wav", seconds=1.0)
    response = api.post("/api/clips/", {"file": SimpleUploadedFile("hum.wav", wav.read_bytes())})
    assert response.status_code == 201, response.content
    api.force_authenticate(None)
    return Clip.objects.get(uid=response.json()["uid"])


def test_it_uploads_lists_renames_and_deletes(api, alice, clip):
    api.force_authenticate(alice)
    listed = api.get("/api/clips/").json()
    assert listed["count"] == 1 and listed["results"][0]["title"] == "hum"
    assert listed["results"][0]["urls"]["audio"] == f"/library/{clip.uid}/audio"
    changed = api.patch(
        f"/api/clips/{clip.uid}/",
        {"title": " Low  hum ", "tags": ["Drone", "drone", "low"]},
        format="json",
    )
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["tags"]) == ("Low hum", ["drone", "low"])
    assert api.get("/api/clips/?q=drone").json()["count"] == 1
    assert api.delete(f"/api/clips/{clip.uid}/").status_code == 204
    assert not Clip.objects.exists()


def test_it_refuses_a_bad_upload_and_stores_nothing(api, alice, settings):
    api.force_authenticate(alice)
    response = api.post("/api/clips/", {"file": SimpleUploadedFile("x.wav", b"not audio")})
    assert response.status_code == 400
    assert error(response)["fields"]["file"]
    missing = api.post("/api/clips/", {})
    assert missing.status_code == 400 and "file" in error(missing)["fields"]
    assert not Clip.objects.exists() and media_files(settings) == []


def test_it_refuses_a_blank_title(api, alice, clip):
    api.force_authenticate(alice)
    response = api.patch(f"/api/clips/{clip.uid}/", {"title": "   "}, format="json")
    assert response.status_code == 400 and "title" in error(response)["fields"]
    clip.refresh_from_db()
    assert clip.title == "hum"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("put", ""), ("delete", "")],
)
def test_it_keeps_clips_private(api, bob, charlie, clip, method, suffix):
    url = f"/api/clips/{clip.uid}/{suffix}"
    data = {"title": "mine", "tags": ""}
    assert getattr(api, method)(url, data, format="json").status_code == 401
    for other in (bob, charlie):  # clips are private even from staff, as on the pages
        api.force_authenticate(other)
        assert getattr(api, method)(url, data, format="json").status_code == 404
    assert api.get("/api/clips/").json()["count"] == 0
    clip.refresh_from_db()
    assert clip.title == "hum"
