from __future__ import annotations

import pytest

from tests.factories import make_track


@pytest.fixture
def track(alice):
    """Alice's published track."""
    return make_track(alice, "Night drive", tags="piano, calm", description="Slow and warm.")


@pytest.fixture
def private_track(alice):
    return make_track(alice, "Sketch", published=False)


@pytest.fixture
def hidden_track(alice):
    return make_track(alice, "Flagged", hidden=True)
