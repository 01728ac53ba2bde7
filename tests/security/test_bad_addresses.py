"""Addresses that were server errors: each is now a clear 4xx (or, for the gallery's own
filters, the filter is left out with a message, as for any filter it cannot read)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    "value", ["abc", "not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g"]
)
def test_it_answers_generate_from_a_malformed_job_id_with_404(alice, value):
    assert _client(alice).get(f"/generate/?from={value}").status_code == 404


@pytest.mark.parametrize("model", [HUGE, "-" + HUGE, "9223372036854775808"])
def test_it_refuses_a_model_number_no_row_can_have_in_the_api(model):
    response = APIClient().get(f"/api/tracks/?model={model}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["model"]


def test_it_leaves_out_a_gallery_model_filter_no_row_can_have(alice):
    from tests.factories import make_track

    make_track(alice, "Still listed")
    response = _client().get(f"/gallery/?model={HUGE}")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert [t.title for t in response.context["page"]] == ["Still listed"]
    assert _client().get("/gallery/?model=9223372036854775807").status_code == 200


@pytest.mark.parametrize(
    "query", ["v=abc", "v=1&v=abc", f"v={HUGE}", "v=0", "v=-3", "job=abc", "v=1&job=12"]
)
def test_it_answers_a_compare_page_address_it_cannot_read_with_400(charlie, query):
    response = _client(charlie).get(f"/staff/models/compare/?{query}")
    assert response.status_code == 400
    assert "by their numbers" in response.content.decode()


def test_it_still_compares_versions_named_by_number(charlie):
    from generator.models import ModelVersion

    a = ModelVersion.objects.create(name="one", arch="texture", modes=["variation"])
    b = ModelVersion.objects.create(name="two", arch="texture", modes=["variation"])
    response = _client(charlie).get(f"/staff/models/compare/?v={a.pk}&v={b.pk}")
    assert response.status_code == 200
    assert set(response.context["versions"]) == {a, b}


@pytest.mark.parametrize("next_url", ["/accounts/login/", "/accounts/login/?next=/accounts/login/"])
def test_it_sends_a_signed_in_visitor_on_instead_of_round_in_a_loop(alice, next_url):
    response = _client(alice).get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302 and response["Location"] == "/library/"
    assert _client(alice).get("/accounts/login/?next=/gallery/")["Location"] == "/gallery/"
