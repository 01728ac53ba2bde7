"""Clips are private: Bob and visitors cannot see, play, download, rename or delete Alice's."""

from __future__ import annotations

import pytest

from musicweb.library.models import Clip
from tests.conftest import synth_tone
from tests.library.helpers import upload_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_clip(client, alice, tmp_path):
    client.force_login(alice)
    assert upload_path(client, synth_tone(tmp_path / "secret.wav")).status_code == 201
    client.logout()
    return Clip.objects.get()


URLS = [
    "/library/{uid}/",
    "/library/{uid}/audio",
    "/library/{uid}/audio?download=1",
    "/library/{uid}/spectrogram.png",
    "/library/{uid}/delete/",
]


@pytest.mark.parametrize("url", URLS)
def test_it_hides_the_clip_from_another_user(client, bob, alices_clip, url):
    client.force_login(bob)
    assert client.get(url.format(uid=alices_clip.uid)).status_code == 404


def test_it_lets_another_user_neither_rename_nor_delete(client, bob, alices_clip):
    client.force_login(bob)
    uid = alices_clip.uid
    assert client.post(f"/library/{uid}/", {"title": "mine now", "tags": ""}).status_code == 404
    assert client.post(f"/library/{uid}/delete/").status_code == 404
    alices_clip.refresh_from_db()
    assert alices_clip.title == "secret"
    assert alices_clip.original.storage.exists(alices_clip.original.name)


def test_it_leaves_the_clip_out_of_another_users_list(client, bob, alices_clip):
    client.force_login(bob)
    assert list(client.get("/library/").context["page"].object_list) == []
    assert list(client.get("/library/?q=secret").context["page"].object_list) == []


@pytest.mark.parametrize("url", URLS)
def test_it_sends_visitors_to_log_in(client, alices_clip, url):
    response = client.get(url.format(uid=alices_clip.uid))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lets_the_owner_in(client, alice, alices_clip):
    client.force_login(alice)
    for url in URLS:
        assert client.get(url.format(uid=alices_clip.uid)).status_code == 200


def test_it_gives_404_for_unknown_clips(client, alice):
    client.force_login(alice)
    assert client.get("/library/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/library/not-a-uuid/").status_code == 404
