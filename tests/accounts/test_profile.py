"""The profile form: one's own name and e-mail, never another person's."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _save(client, **data):
    return client.post("/accounts/profile/", {"display_name": "", "email": "", **data})


@pytest.mark.parametrize("email", ["bob@example.org", "BOB@Example.ORG", " bob@example.org "])
def test_it_refuses_another_accounts_email(client, alice, bob, email):
    client.force_login(alice)
    response = _save(client, email=email)
    assert response.status_code == 200
    assert "Another account uses this email address." in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"


@pytest.mark.parametrize("name", ["bob", "BOB", "  Bob "])
def test_it_refuses_a_display_name_that_is_another_persons_username(client, alice, bob, name):
    client.force_login(alice)
    response = _save(client, display_name=name, email="alice@example.org")
    assert response.status_code == 200
    assert "another person&#x27;s username" in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == ""


def test_it_accepts_ones_own_name_and_email_in_any_case(client, alice, bob):
    client.force_login(alice)
    response = _save(client, display_name="Alice", email="Alice@Example.org")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.email) == ("Alice", "alice@example.org")


def test_it_lets_bob_keep_what_alice_was_refused(client, alice, bob):
    client.force_login(bob)
    assert _save(client, display_name="Bobby", email="bob@example.org").status_code == 302
    bob.refresh_from_db()
    assert bob.public_name == "Bobby"
