"""Every page's frame: the navigation marks where you are, and the favicon is everywhere."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from tests.factories import make_user

pytestmark = pytest.mark.django_db
FAVICON = 'rel="icon" href="/static/favicon'


def _current(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    return re.findall(r'<a href="([^"]+)" aria-current="page"', nav)


def test_it_marks_the_section_you_are_in(client, alice):
    client.force_login(alice)
    assert _current(client.get("/gallery/").content.decode()) == ["/gallery/"]
    assert _current(client.get("/library/").content.decode()) == ["/library/"]
    assert _current(client.get("/jobs/").content.decode()) == ["/jobs/"]
    assert _current(client.get("/").content.decode()) == []


def test_it_marks_log_in_for_a_visitor(client):
    assert _current(client.get("/accounts/login/").content.decode()) == ["/accounts/login/"]


def test_it_shows_the_favicon_on_site_error_and_admin_pages(client):
    assert FAVICON in client.get("/").content.decode()
    assert FAVICON in client.get("/no/such/page/").content.decode()
    assert FAVICON in render_to_string("500.html")
    client.force_login(make_user("sam", is_staff=True, is_superuser=True))
    assert FAVICON in client.get("/admin/").content.decode()
