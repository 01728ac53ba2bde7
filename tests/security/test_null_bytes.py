"""A NUL character anywhere a visitor can type is a clear 400, on PostgreSQL as on SQLite.

PostgreSQL refuses text containing NUL (0x00) outright, so a search for one, or a user
name with one, would otherwise be a server error there.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.scaleout]

PAGES = [
    "/gallery/?q=a%00b",
    "/gallery/?author=al%00ice",
    "/gallery/?tag=pi%00ano",
    "/users/al%00ice/",
    "/library/?q=%00",
    "/jobs/?status=%00",
    "/generate/?title=%00",
    "/accounts/login/?next=/%00",
]
API = [
    "/api/tracks/?q=a%00b",
    "/api/tracks/?author=%00",
    "/api/clips/?q=%00",
    "/api/users/al%00ice/",
    "/api/jobs/?status=%00",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_refuses_a_nul_in_a_page_address(alice, url):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", API)
def test_it_refuses_a_nul_in_an_api_address(alice, url):
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    response = api.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_it_ignores_a_session_cookie_holding_a_nul(alice):
    client = Client(raise_request_exception=False)
    response = client.get("/gallery/", HTTP_COOKIE='sessionid="\\000abcdefghijkl"')
    assert response.status_code == 200
    response = client.get("/library/", HTTP_COOKIE='sessionid="\\000abcdefghijkl"')
    assert response.status_code == 302  # not signed in: off to the log-in page


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/accounts/login/", {"username": "ali\x00ce", "password": "pw-alice"}),
        (
            "/accounts/signup/",
            {
                "username": "n\x00ul",
                "email": "n@example.org",
                "password1": "a long tune 4 nul",
                "password2": "a long tune 4 nul",
            },
        ),
        ("/admin/login/", {"username": "ali\x00ce", "password": "pw-alice"}),
    ],
)
def test_it_refuses_a_nul_in_a_user_name_typed_into_a_form(alice, url, data):
    client = Client(raise_request_exception=False)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_nul_in_a_user_name_sent_for_a_token(alice):
    response = APIClient().post("/api/token/", {"username": "ali\x00ce", "password": "pw-alice"})
    assert response.status_code == 400
