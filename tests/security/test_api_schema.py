"""Schemathesis against the API's own OpenAPI schema, in process, as a signed-in user.

Every operation gets a few generated requests: no 500s, and every response with a documented
status must match the schema (content type and body); unsupported methods answer 405.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.factories import make_clip, make_job, make_track, make_user  # noqa: E402

# Loaded at import (the schema view needs no database); pytest 9 breaks schemathesis's
# lazy from_fixture loader, which writes to a private pytest attribute.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    """As Django's test client does: keep the test's connection (and transaction) open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    user = make_user("fuzzer")
    other = make_user("other")
    clip = make_clip(user)
    make_job(user, clip)
    make_track(user, "Mine", published=False)
    make_track(other, "Theirs")
    return Token.objects.create(user=user).key


# Every operation documents its error statuses with the one error body (musicweb.rest).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    unsupported_method,
]


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_keeps_its_promises(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.parametrize("body", ["[null, null]", '"x"', "42", "null"])
def test_it_refuses_a_job_request_that_is_not_an_object(token, body):
    from rest_framework.test import APIClient

    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/jobs/", body, content_type="application/json").status_code == 400


def test_it_documents_the_fields_that_may_be_null():
    components = schema.raw_schema["components"]["schemas"]
    for name, field in [("Job", "track"), ("Job", "clip2"), ("Track", "model_version")]:
        assert components[name]["properties"][field].get("nullable"), (name, field)
