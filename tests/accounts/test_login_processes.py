"""Two real web processes (uvicorn, as deployed) share one log-in throttle: the counts live
in the database, and a refused log-in page still shows its form."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.factories import make_user
from tests.stack import Stack

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.slow,
    pytest.mark.scaleout,
]


def _open(opener, request) -> tuple[int, str]:
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _token(url: str, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{url}/api/token/", data=body, headers={"Content-Type": "application/json"}
    )
    return _open(urllib.request.build_opener(), request)[0]


def _page(url: str, username: str, password: str) -> tuple[int, str]:
    """Log in through the page as a browser does: fetch the form, post it with its token."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    _, form = _open(opener, f"{url}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    request = urllib.request.Request(
        f"{url}/accounts/login/", data=urllib.parse.urlencode(data).encode(), method="POST"
    )
    return _open(opener, request)


def test_it_counts_failures_made_on_two_web_processes_together(settings):
    make_user("victim")
    stacks = [Stack(DEBUG="1"), Stack(DEBUG="1")]  # DEBUG: pages without collected static files
    try:
        first, second = (stack.start_web() for stack in stacks)
        for i in range(3):
            assert _token(first, "victim", f"guess-a{i}") == 400
        for i in range(settings.LOGIN_ATTEMPTS - 4):
            assert _token(second, "victim", f"guess-b{i}") == 400
        status, html = _page(second, "victim", "guess-c")
        assert status == 200 and "correct username and password" in html
        # Per-process counts would allow each process its own five guesses.
        assert _token(first, "victim", "pw-victim") == 429
        status, html = _page(second, "victim", "pw-victim")
        assert status == 429
        assert "Too many failed log-ins. Please wait 15 minutes" in html and "<form" in html
    finally:
        for stack in stacks:
            stack.stop()
