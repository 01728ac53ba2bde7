"""A full disk while an upload is stored: a clear message, no row, no partial file."""

from __future__ import annotations

import pytest

from musicweb.library.models import Clip
from tests.conftest import synth_tone
from tests.full_disk import full_disk
from tests.library.helpers import media_files, upload_path

pytestmark = pytest.mark.django_db

FULL = "storage is full"


@pytest.fixture
def tone(tmp_path):
    return synth_tone(tmp_path / "tone.wav", seconds=3)  # about 130 kB


# Room for nothing, for part of the original, for the original and part of the analysis
# copy, for both and part of the image (the three files take about 208 kB).
@pytest.mark.parametrize("capacity", [0, 50_000, 140_000, 175_000])
def test_it_refuses_an_upload_the_disk_has_no_room_for(client, alice, settings, tone, capacity):
    full_disk(settings, capacity)
    client.force_login(alice)
    response = upload_path(client, tone)
    assert response.status_code == 507, response.content
    assert FULL in response.json()["error"]
    assert not Clip.objects.exists()
    assert media_files(settings) == []


def test_it_tells_the_plain_form_that_the_disk_is_full(client, alice, settings, tone):
    full_disk(settings, 10_000)
    client.force_login(alice)
    response = upload_path(client, tone, json=False)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "“tone.wav” was not stored" in page and FULL in page
    assert not Clip.objects.exists() and media_files(settings) == []


def test_it_answers_507_through_the_api(client, alice, settings, tone):
    full_disk(settings, 10_000)
    client.force_login(alice)
    with tone.open("rb") as handle:
        response = client.post("/api/clips/", {"file": handle})
    assert response.status_code == 507, response.content
    assert FULL in response.json()["error"]["message"]
    assert not Clip.objects.exists() and media_files(settings) == []


def test_it_stores_the_upload_once_there_is_room(client, alice, settings, tone):
    full_disk(settings, 10_000_000)
    client.force_login(alice)
    assert upload_path(client, tone).status_code == 201
    clip = Clip.objects.get()
    assert sorted(p.name for p in media_files(settings)) == [
        "analysis.flac",
        "original.wav",
        "spectrogram.png",
    ]
    assert clip.original.size == tone.stat().st_size
