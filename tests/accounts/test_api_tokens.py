"""API tokens: a password change or reset revokes them; their owner can see and revoke them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.accounts.helpers import change_password

pytestmark = pytest.mark.django_db


def _api(token: Token | str | None = None) -> APIClient:
    api = APIClient()
    if token is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Token {getattr(token, 'key', token)}")
    return api


def _works(key: str) -> bool:
    status = _api(key).get("/api/me/").status_code
    assert status in (200, 401)
    return status == 200


def test_it_revokes_the_token_when_the_password_changes(client, alice, bob):
    key, bobs = Token.objects.create(user=alice).key, Token.objects.create(user=bob).key
    assert _works(key)
    client.force_login(alice)
    response = change_password(client, "pw-alice", "brand new melody 7")
    assert response.status_code == 302
    assert not _works(key)
    assert _works(bobs)
    assert client.get("/library/").status_code == 200  # the browser session stays signed in


def test_it_revokes_the_token_when_the_password_is_reset(client, alice):
    key = Token.objects.create(user=alice).key
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", mail.outbox[0].body)
    set_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "fresh start 2026", "new_password2": "fresh start 2026"}
    )
    assert response.status_code == 302
    assert not _works(key)


def test_it_revokes_the_token_when_staff_set_a_new_password(client, alice, charlie):
    key = Token.objects.create(user=alice).key
    client.force_login(charlie)
    response = client.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": "set by the admin 42", "password2": "set by the admin 42"},
    )
    assert response.status_code == 302
    assert not _works(key)


def test_it_keeps_the_token_when_only_the_password_hash_is_upgraded(alice, settings):
    key = Token.objects.create(user=alice).key
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    response = Client().post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.password.startswith("scrypt$")  # upgraded on log-in
    assert _works(key)


def test_it_shows_the_token_on_the_profile_and_revokes_it(client, alice, bob):
    key, bobs = Token.objects.create(user=alice).key, Token.objects.create(user=bob).key
    client.force_login(alice)
    page = client.get("/accounts/profile/").content.decode()
    assert f"{key[:4]}…" in page and key not in page
    assert bobs[:4] + "…" not in page
    response = client.post("/accounts/profile/token/revoke/", follow=True)
    assert "Your API token is revoked" in response.content.decode()
    assert "You have no API token" in response.content.decode()
    assert not _works(key)
    assert _works(bobs)


def test_it_refuses_to_revoke_a_token_without_a_signed_in_post(client, alice):
    key = Token.objects.create(user=alice).key
    response = client.post("/accounts/profile/token/revoke/")
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get("/accounts/profile/token/revoke/").status_code == 405
    assert _works(key)


def test_it_lists_and_revokes_ones_token_in_the_api(alice, bob):
    token, bobs = Token.objects.create(user=alice), Token.objects.create(user=bob)
    api = _api(token)
    shown = api.get("/api/me/token/").json()
    assert shown["prefix"] == token.key[:4] and "key" not in shown and token.key not in str(shown)
    assert shown["created"]
    assert _api(bobs).get("/api/me/token/").json()["prefix"] == bobs.key[:4]
    assert api.delete("/api/me/token/").status_code == 204
    assert not _works(token.key)
    assert _works(bobs.key)
    session = APIClient()
    session.force_login(alice)
    missing = session.get("/api/me/token/")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "You have no API token."}


def test_it_needs_a_user_for_the_token_endpoint():
    assert _api().get("/api/me/token/").status_code == 401
    assert _api().delete("/api/me/token/").status_code == 401
    assert _api("not-a-token").delete("/api/me/token/").status_code == 401
