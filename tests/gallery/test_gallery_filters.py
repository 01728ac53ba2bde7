"""The gallery's model filter offers only the versions behind published tracks."""

from __future__ import annotations

import pytest

from generator.models import ModelVersion
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def _offered(client) -> list[str]:
    return [version.name for version in client.get("/gallery/").context["models"]]


def test_it_offers_only_models_that_made_published_tracks(client, alice, bob):
    texture = ModelVersion.objects.get(name="texture")
    unet = ModelVersion.objects.get(name="unet")
    assert ModelVersion.objects.filter(name="tagger").exists()  # active, but makes no tracks
    client.force_login(alice)  # signed in: no visitor copy of the page a few seconds old
    assert _offered(client) == []
    make_track(alice, "Rain piano", model_version=texture)
    make_track(bob, "Sketch", model_version=unet, published=False)
    make_track(bob, "Flagged", model_version=unet, hidden=True)
    assert _offered(client) == ["texture"]
    html = client.get("/gallery/").content.decode()
    assert f'<option value="{texture.pk}"' in html and f'<option value="{unet.pk}"' not in html


def test_it_marks_the_filter_form_for_applying_in_place(client, alice):
    html = client.get("/gallery/").content.decode()
    assert 'method="get" action="/gallery/" role="search" data-filters' in html
