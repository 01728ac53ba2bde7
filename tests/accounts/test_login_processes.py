"""Two real web processes share one log-in throttle: the counts live in the database."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import make_user
from tests.stack import Stack

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.slow,
    pytest.mark.scaleout,
]


def _token(url: str, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{url}/api/token/", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_counts_failures_made_on_two_web_processes_together(settings):
    make_user("victim")
    stacks = [Stack(), Stack()]
    try:
        first, second = (stack.start_web() for stack in stacks)
        for i in range(3):
            assert _token(first, "victim", f"guess-a{i}") == 400
        for i in range(settings.LOGIN_ATTEMPTS - 3):
            assert _token(second, "victim", f"guess-b{i}") == 400
        # Per-process counts would allow each process its own five guesses.
        assert _token(first, "victim", "pw-victim") == 429
        assert _token(second, "victim", "pw-victim") == 429
    finally:
        for stack in stacks:
            stack.stop()
