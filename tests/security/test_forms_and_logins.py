"""CSRF on every state-changing form, password rules, and guessing passwords.

tests/test_site.py already checks CSRF on the account forms and the upload; this file covers
every other POST URL of the site and the session-authenticated API.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"

# {clip}, {track}, {job}, {model} are filled in. /tracks/<id>/play/ is left out on purpose:
# it only counts a public play (at most hourly per listener) and is csrf_exempt so that
# gallery pages can be cached.
POSTS = [
    ("anonymous", "/accounts/signup/"),
    ("anonymous", "/accounts/password/reset/"),
    ("alice", "/accounts/password/change/"),
    ("alice", "/accounts/profile/"),
    ("alice", "/accounts/profile/token/revoke/"),
    ("alice", "/library/{clip}/"),
    ("alice", "/library/{clip}/delete/"),
    ("alice", "/generate/"),
    ("alice", "/jobs/{job}/cancel/"),
    ("alice", "/jobs/{job}/again/"),
    ("alice", "/tracks/{track}/publish/"),
    ("alice", "/tracks/{track}/unpublish/"),
    ("bob", "/tracks/{track}/rating/"),
    ("bob", "/tracks/{track}/report/"),
    ("charlie", "/staff/models/upload/"),
    ("charlie", "/staff/models/{model}/activate/"),
    ("charlie", "/staff/models/{model}/default/"),
    ("charlie", "/staff/models/{model}/retire/"),
    ("charlie", "/staff/training/new/"),
    ("anonymous", "/admin/login/"),
    ("charlie", "/admin/library/clip/{clip_pk}/delete/"),
    ("charlie", "/admin/gallery/track/"),
    # The API with a session cookie (a browser's credentials) needs the token as well.
    ("alice", "/api/clips/"),
    ("alice", "/api/jobs/"),
    ("alice", "/api/jobs/{job}/cancel/"),
    ("bob", "/api/tracks/{track}/report/"),
    ("alice", "/api/tracks/{track}/unpublish/"),
]


@pytest.mark.parametrize(("actor", "template"), POSTS, ids=[f"{a} {t}" for a, t in POSTS])
def test_it_refuses_posts_without_a_csrf_token(world, actor, template):
    client = Client(enforce_csrf_checks=True)
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    url = template.format(
        clip=world.clip.uid,
        clip_pk=world.clip.pk,
        track=world.public_track.uid,
        job=world.job.uid,
        model=world.model.pk,
    )
    assert client.post(url, {"title": "x", "stars": 5}).status_code == 403


def test_it_accepts_an_api_token_without_csrf(world):
    """Token clients are not browsers: no cookie is sent, so no CSRF token is needed."""
    from rest_framework.authtoken.models import Token

    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.alice).key}")
    assert api.post(f"/api/jobs/{world.job.uid}/cancel/").status_code == 200


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83920174655", "entirely numeric"),
        ("mallory.example", "too similar to the username"),
    ],
)
def test_it_refuses_weak_passwords_at_sign_up(client, password, why):
    response = client.post(
        SIGNUP,
        {
            "username": "mallory.example",
            "email": "m@example.org",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200, why
    assert response.context["form"].errors.get("password2"), why
    assert not get_user_model().objects.filter(username="mallory.example").exists()


def test_it_accepts_a_strong_password(client):
    passphrase = "correct horse battery staple 7"
    response = client.post(
        SIGNUP,
        {
            "username": "mallory",
            "email": "m@example.org",
            "password1": passphrase,
            "password2": passphrase,
        },
    )
    assert response.status_code == 302


def test_it_refuses_a_weak_new_password(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "pw-alice", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]


def test_it_locks_the_login_form_after_repeated_failures(db, settings):
    make_user("victim")
    client = Client()
    for i in range(settings.LOGIN_ATTEMPTS):
        assert (
            client.post("/accounts/login/", {"username": "victim", "password": f"x{i}"}).status_code
            == 200
        )
    # Even the right password is refused while the lock holds, so guessing learns nothing.
    locked = client.post("/accounts/login/", {"username": "victim", "password": "pw-victim"})
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    # Another address trying the same account is refused too (the lock is per account as well).
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        other.post("/accounts/login/", {"username": "victim", "password": "pw-victim"}).status_code
        == 429
    )


def test_it_slows_down_password_guessing_through_the_token_endpoint(db, settings):
    make_user("victim")
    api = APIClient()
    for i in range(settings.LOGIN_ATTEMPTS + 1):
        api.post("/api/token/", {"username": "victim", "password": f"guess-{i}"})
    response = api.post("/api/token/", {"username": "victim", "password": "pw-victim"})
    assert response.status_code == 429
