from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.gallery.helpers import make_track


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and the trending refresh mark live in the cache."""
    cache.clear()
    yield
    cache.clear()


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
