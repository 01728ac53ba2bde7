"""Log-in messages: a deactivated account is told so (only with its right password)."""

from __future__ import annotations

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long test passphrase 42"
DEACTIVATED = "This account is deactivated"


def _log_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_it_tells_a_deactivated_account_it_is_deactivated(client):
    alice = make_user("alice", is_active=False)
    alice.set_password(PASSWORD)
    alice.save()
    response = _log_in(client, "alice", PASSWORD)
    assert response.status_code == 200
    assert DEACTIVATED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_tells_a_wrong_password_nothing_about_the_account(client):
    bob = make_user("bob", is_active=False)
    bob.set_password(PASSWORD)
    bob.save()
    html = _log_in(client, "bob", "not the password").content.decode()
    assert DEACTIVATED not in html and "correct username and password" in html


def test_it_still_logs_in_an_active_account(client):
    charlie = make_user("charlie")
    charlie.set_password(PASSWORD)
    charlie.save()
    assert _log_in(client, "charlie", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(charlie.pk)
    client.logout()
    html = _log_in(client, "nobody", PASSWORD).content.decode()
    assert DEACTIVATED not in html and "correct username and password" in html
