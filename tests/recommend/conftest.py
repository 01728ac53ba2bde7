from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.recommend.helpers import make_styled


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def shelf(alice, charlie):
    """Alice's and Charlie's published tracks: three chiptune (style 0), three orchestral (1)."""
    return {
        "chip1": make_styled(alice, "Chip one", 0),
        "chip2": make_styled(charlie, "Chip two", 0, 0.1),
        "chip3": make_styled(charlie, "Chip three", 0, 0.2),
        "orch1": make_styled(alice, "Orchestra one", 1),
        "orch2": make_styled(charlie, "Orchestra two", 1, 0.1),
        "orch3": make_styled(charlie, "Orchestra three", 1, 0.2),
    }
