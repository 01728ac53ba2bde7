"""Security headers: a Content-Security-Policy and a Permissions-Policy on every page, pages
that obey the policy (nothing inline to run), and no cache keeping what is private."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/",
    "/gallery/",
    "/tracks/{track}/",
    "/users/alice/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/admin/login/",
    "/no-such-page/",
]
PRIVATE = [
    "/library/",
    "/library/{clip}/",
    "/generate/",
    "/jobs/",
    "/jobs/{job}/",
    "/accounts/profile/",
    "/accounts/password/change/",
    "/accounts/delete/",
    "/tracks/{private}/",
    "/gallery/",
]
STAFF = [
    "/staff/models/",
    "/staff/models/compare/",
    "/staff/training/new/",
    "/admin/",
    "/admin/gallery/track/",
    "/admin/accounts/user/{alice}/change/",
]


def _urls(world, templates):
    return [
        t.format(
            track=world.public_track.uid,
            private=world.private_track.uid,
            clip=world.clip.uid,
            job=world.job.uid,
            alice=world.alice.pk,
        )
        for t in templates
    ]


def _pages(world):
    """(client, url) for every kind of page: a visitor's, Alice's and staff Charlie's."""
    alice, charlie = Client(), Client()
    alice.force_login(world.alice)
    charlie.force_login(world.charlie)
    return (
        [(Client(), url) for url in _urls(world, PUBLIC)]
        + [(alice, url) for url in _urls(world, PRIVATE)]
        + [(charlie, url) for url in _urls(world, STAFF)]
    )


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_it_sends_both_policies_on_every_page(world):
    for client, url in _pages(world):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        permissions = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in permissions, url


def test_it_sends_the_policies_on_api_answers_and_errors(world):
    for response in (
        Client().get("/api/tracks/"),
        Client().get("/api/no-such-endpoint/"),
        Client().post("/healthz"),
    ):
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert "camera=()" in response["Permissions-Policy"]


def test_it_relaxes_the_policy_for_the_api_docs_page_alone(world):
    docs = _policy(Client().get("/api/docs/"))
    # Redoc is served by the site itself: its script needs nothing from elsewhere.
    assert docs["script-src"] == ["'self'"]
    assert not [source for source in sum(docs.values(), []) if source.startswith("http")]
    assert "'unsafe-inline'" in docs["style-src"]  # Redoc writes its own <style> elements
    gallery = _policy(Client().get("/gallery/"))
    assert "'unsafe-inline'" not in gallery["script-src"] + gallery["style-src"]


class _InlineFinder(HTMLParser):
    """Collects whatever a strict policy would block: inline scripts, <style>, on* handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        # A JSON block is data, never run.
        if (
            tag == "script"
            and "src" not in attributes
            and attributes.get("type") != "application/json"
        ):
            self._in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}=javascript:")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_it_renders_pages_with_nothing_inline_for_the_policy_to_block(world):
    for client, url in _pages(world):
        finder = _InlineFinder()
        finder.feed(client.get(url).content.decode())
        assert finder.found == [], url


def test_it_keeps_private_pages_out_of_every_cache(world):
    alice, charlie = Client(), Client()
    alice.force_login(world.alice)
    charlie.force_login(world.charlie)
    for client, url in [(alice, u) for u in _urls(world, PRIVATE)] + [
        (charlie, u) for u in _urls(world, STAFF)
    ]:
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.alice).key}")
    for url in ("/api/me/", "/api/clips/", f"/api/jobs/{world.job.uid}/"):
        cache_control = token.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url


def test_it_lets_public_pages_and_private_files_keep_their_own_caching(world):
    assert "Cache-Control" not in Client().get("/gallery/")
    alice = Client()
    alice.force_login(world.alice)
    assert alice.get(f"/library/{world.clip.uid}/audio")["Cache-Control"] == "private, max-age=3600"
