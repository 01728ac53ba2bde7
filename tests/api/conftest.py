from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.gallery.conftest import hidden_track, private_track, track  # noqa: F401


@pytest.fixture
def api():
    return APIClient()


def error(response) -> dict:
    """The error body every API failure carries."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]
