"""The Practice pages: write a piece, play and download it, publish it; others' are 404."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from generator.engine.practice import compose
from musicweb.practice.forms import INSTRUMENT_CHOICES
from musicweb.practice.models import PracticePiece
from tests.practice.helpers import make_piece

pytestmark = pytest.mark.django_db

FILE_KINDS = {
    "svg": b"<svg",
    "pdf": b"%PDF",
    "musicxml": b"<?xml",
    "midi": b"MThd",
    "audio": b"",
}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_writes_a_piece_from_the_form_and_serves_every_file(client, alice):
    client.force_login(alice)
    response = client.post(
        "/practice/",
        {"instrument": "flute", "style": "irish", "level": "3", "bars": "2", "seed": "5"},
    )
    piece = PracticePiece.objects.get()
    assert response.status_code == 302 and response["Location"] == piece.get_absolute_url()
    assert (piece.owner, piece.instrument, piece.style, piece.level, piece.bars, piece.seed) == (
        alice, "flute", "irish", 3, 2, 5,
    )  # fmt: skip
    page = client.get(piece.get_absolute_url()).content.decode()
    assert f"/practice/{piece.uid}/svg" in page and "data-practice" in page
    for kind, magic in FILE_KINDS.items():
        response = client.get(f"/practice/{piece.uid}/{kind}")
        assert response.status_code == 200, kind
        assert _body(response).startswith(magic), kind
    timemap = client.get(f"/practice/{piece.uid}/timemap").json()
    assert timemap["bpm"] == piece.bpm and len([e for e in timemap["timemap"] if e.get("on")]) == (
        piece.notes
    )
    download = client.get(f"/practice/{piece.uid}/midi?download=1")
    assert "attachment" in download["Content-Disposition"]
    assert client.get("/practice/").content.decode().count(piece.title) >= 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("level", "6"), ("bars", "1"), ("bars", "33"), ("instrument", "kazoo"), ("style", "polka")],
)
def test_it_refuses_bad_requests_and_writes_nothing(client, alice, field, value):
    client.force_login(alice)
    data = {"instrument": "violin", "style": "folk", "level": "1", "bars": "4", field: value}
    response = client.post("/practice/", data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not PracticePiece.objects.exists()
    media = django_settings.MEDIA_ROOT
    assert not list((Path(media) / "practice").rglob("*"))


def test_it_asks_visitors_to_log_in(client):
    response = client.get("/practice/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_it_hides_a_private_piece_from_bob_and_visitors(client, alice, bob):
    piece = make_piece(alice)
    urls = [f"/practice/{piece.uid}/", *(f"/practice/{piece.uid}/{k}" for k in FILE_KINDS)]
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(bob)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/practice/{piece.uid}/publish").status_code == 404
    assert client.post(f"/practice/{piece.uid}/delete").status_code == 404
    assert PracticePiece.objects.get().published_at is None
    assert str(piece.title) not in client.get("/practice/").content.decode()


def test_it_publishes_a_piece_with_its_score_and_takes_it_back(client, alice, bob):
    piece = make_piece(alice)
    client.force_login(alice)
    assert client.post(f"/practice/{piece.uid}/publish").status_code == 302
    client.force_login(bob)
    assert client.get(f"/practice/{piece.uid}/").status_code == 200
    assert _body(client.get(f"/practice/{piece.uid}/svg")).startswith(b"<svg")
    assert piece.title in client.get("/practice/published/").content.decode()
    client.force_login(alice)
    client.post(f"/practice/{piece.uid}/publish", {"publish": "0"})
    client.force_login(bob)
    assert client.get(f"/practice/{piece.uid}/").status_code == 404


def test_it_deletes_a_piece_and_its_files(client, alice, django_capture_on_commit_callbacks):
    piece = make_piece(alice)
    path = Path(piece.svg.path)
    assert path.exists()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/practice/{piece.uid}/delete").status_code == 302
    assert not PracticePiece.objects.exists()
    assert not path.exists()


def test_it_offers_exactly_the_engines_instruments():
    assert [slug for slug, _ in INSTRUMENT_CHOICES] == list(compose.INSTRUMENTS)
    for slug, label in INSTRUMENT_CHOICES:
        inst = compose.INSTRUMENTS[slug]
        assert label == f"{inst.name} · {inst.family}"


def test_it_keeps_timemap_json_valid(client, alice):
    piece = make_piece(alice, bars=2)
    client.force_login(alice)
    json.dumps(client.get(f"/practice/{piece.uid}/timemap").json())
