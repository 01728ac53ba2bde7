"""/api/docs/ works with no internet: Redoc comes from the site itself and renders the schema."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, shot
from tests.e2e.test_policies_browser import WATCH_VIOLATIONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


@pytest.mark.parametrize(("viewport", "name"), [(None, "desktop"), (PHONE, "phone")])
def test_it_renders_the_api_docs_offline(new_page, site, viewport, name):
    page = new_page(**({"viewport": viewport} if viewport else {}))
    outside: list[str] = []

    def offline(route):
        # Anything not from the site fails as it would with no network.
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", offline)
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name="musicweb API")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/tracks/").first).to_be_attached()
    assert outside == []
    # Redoc links its "powered by" logo from its own CDN; the policy stops that request in the
    # browser, and it is the only thing the policy has to stop.
    violations = page.evaluate("window.__violations")
    assert all(v.startswith("img-src https://cdn.redoc.ly/") for v in violations), violations
    shot(page, f"api-docs-{name}", full_page=False)
