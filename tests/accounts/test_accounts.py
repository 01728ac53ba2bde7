"""Signing up, logging in and out, the profile, and deleting one's account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from musicweb.library.models import Clip
from tests.accounts.helpers import change_password, let_the_pause_pass
from tests.conftest import synth_tone
from tests.factories import make_user
from tests.library.helpers import media_files, upload_path

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_it_signs_up_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dora",
            "email": "Dora@Example.org",
            "password1": "a long tune 4 dora",
            "password2": "a long tune 4 dora",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/library/"
    user = User.objects.get(username="dora")
    assert user.email == "dora@example.org"
    assert client.get("/library/").status_code == 200


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("8394721056", "entirely numeric"),
        ("dorothea1", "too similar"),
    ],
)
def test_it_refuses_weak_passwords(client, password, message):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dorothea",
            "email": "d@example.org",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="dorothea").exists()


def test_it_refuses_a_taken_email(client, alice):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "alice2",
            "email": "ALICE@example.org",
            "password1": "a long tune 4 me",
            "password2": "a long tune 4 me",
        },
    )
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_it_logs_in_and_out(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.get("/library/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/library/").status_code == 302


def test_it_refuses_a_wrong_password(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_it_changes_the_password(client, alice):
    client.force_login(alice)
    response = change_password(client, "pw-alice", "brand new melody 7")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("brand new melody 7")


def test_it_resets_a_forgotten_password_by_email(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"http://testserver(/accounts/password/reset/\S+/\S+/)", mail.outbox[0].body
    ).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "fresh start 2026", "new_password2": "fresh start 2026"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("fresh start 2026")


def test_it_sends_no_reset_mail_for_unknown_addresses(client, alice):
    assert (
        client.post("/accounts/password/reset/", {"email": "nobody@example.org"}).status_code == 302
    )
    assert mail.outbox == []


def test_it_edits_the_display_name(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/profile/", {"display_name": "Alice ♫ Liddell", "email": "alice@example.org"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.public_name == "Alice ♫ Liddell"
    assert "Alice ♫ Liddell" in client.get("/accounts/profile/").content.decode()


def test_it_deletes_the_account_with_all_files(
    client, alice, bob, tmp_path, settings, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    upload_path(client, synth_tone(tmp_path / "bobs.wav"))
    client.force_login(alice)
    for i in range(2):
        upload_path(client, synth_tone(tmp_path / f"a{i}.wav"))
    assert len(media_files(settings)) == 9
    response = client.post("/accounts/delete/", {"password": "wrong"})
    assert "not your password" in response.content.decode()
    assert User.objects.filter(username="alice").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/delete/", {"password": "pw-alice"})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert list(Clip.objects.values_list("owner__username", flat=True)) == ["bob"]
    remaining = media_files(settings)
    assert len(remaining) == 3 and all(f"/clips/{bob.pk}/" in str(p) for p in remaining)
    assert client.get("/library/").status_code == 302


def test_it_requires_login_for_account_pages(client):
    for url in ("/accounts/profile/", "/accounts/delete/", "/accounts/password/change/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_it_uses_the_custom_user_model():
    assert User._meta.label == "accounts.User"
    user = make_user("eve", display_name="")
    assert user.public_name == "eve"


def test_it_pauses_log_ins_after_repeated_failures(client, alice, settings):
    settings.LOGIN_ATTEMPTS = 3
    for _ in range(3):
        assert (
            client.post("/accounts/login/", {"username": "alice", "password": "guess"}).status_code
            == 200
        )
    locked = client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    let_the_pause_pass(settings)
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"}).status_code
        == 302
    )


def test_it_pauses_guessing_across_accounts_from_one_address(client, alice, bob, settings):
    settings.LOGIN_ATTEMPTS = 2
    client.post("/accounts/login/", {"username": "alice", "password": "guess"})
    client.post("/accounts/login/", {"username": "bob", "password": "guess"})
    assert (
        client.post("/accounts/login/", {"username": "bob", "password": "pw-bob"}).status_code
        == 429
    )
