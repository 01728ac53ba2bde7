"""Practice pieces through the API: write, list, read, publish, delete; others' are 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from musicweb.practice.models import PracticePiece
from tests.practice.helpers import make_piece

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_it_writes_a_piece_and_links_its_files(api, alice):
    api.force_authenticate(alice)
    response = api.post(
        "/api/practice/",
        {"instrument": "cello", "style": "chorale", "level": 1, "bars": 2, "seed": 3},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    piece = PracticePiece.objects.get()
    assert body["uid"] == str(piece.uid) and body["level"] == 1 and not body["published"]
    assert set(body["files"]) == {"svg", "pdf", "musicxml", "midi", "audio", "timemap"}
    assert body["files"]["svg"].endswith(f"/practice/{piece.uid}/svg")
    assert [p["uid"] for p in api.get("/api/practice/").json()["results"]] == [str(piece.uid)]


def test_it_refuses_bad_input_with_the_fields_named(api, alice):
    api.force_authenticate(alice)
    response = api.post(
        "/api/practice/", {"instrument": "kazoo", "style": "folk", "level": 9, "bars": 2}
    )
    assert response.status_code == 400
    assert {"instrument", "level"} <= set(response.json()["error"]["fields"])
    assert not PracticePiece.objects.exists()


def test_it_needs_a_login(api):
    assert api.get("/api/practice/").status_code == 401


def test_it_keeps_alices_private_piece_from_bob(api, alice, bob):
    piece = make_piece(alice)
    api.force_authenticate(bob)
    url = f"/api/practice/{piece.uid}/"
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.post(f"{url}publish/").status_code == 404
    assert api.get("/api/practice/").json()["results"] == []
    assert PracticePiece.objects.filter(published_at__isnull=True).count() == 1


def test_it_publishes_and_bob_can_then_read_but_not_delete(api, alice, bob):
    piece = make_piece(alice)
    url = f"/api/practice/{piece.uid}/"
    api.force_authenticate(alice)
    assert api.post(f"{url}publish/").json()["published"] is True
    api.force_authenticate(bob)
    assert api.get(url).status_code == 200
    assert api.delete(url).status_code == 404
    api.force_authenticate(alice)
    assert api.post(f"{url}unpublish/").json()["published"] is False
    assert api.delete(url).status_code == 204
    assert not PracticePiece.objects.exists()


def test_it_is_in_the_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/practice/" in schema["paths"]
    assert "/api/practice/{uid}/publish/" in schema["paths"]


@pytest.mark.parametrize("body", [[None, None], "just text", 7])
def test_it_refuses_a_json_body_that_is_not_an_object(api, alice, body):
    api.force_authenticate(alice)
    response = api.post("/api/practice/", body, format="json")
    assert response.status_code == 400, response.content
    assert "JSON object" in response.content.decode()
    assert not PracticePiece.objects.exists()
