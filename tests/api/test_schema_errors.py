"""The OpenAPI schema is valid and complete; docs render; every error has one shape."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from tests.api.conftest import error

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/clips/": {"get", "post"},
    "/api/clips/{uid}/": {"get", "put", "patch", "delete"},
    "/api/jobs/": {"get", "post"},
    "/api/jobs/{uid}/": {"get"},
    "/api/jobs/{uid}/cancel/": {"post"},
    "/api/tracks/": {"get"},
    "/api/tracks/{uid}/": {"get"},
    "/api/tracks/{uid}/publish/": {"post"},
    "/api/tracks/{uid}/unpublish/": {"post"},
    "/api/tracks/{uid}/rating/": {"get", "put", "delete"},
    "/api/tracks/{uid}/play/": {"post"},
    "/api/tracks/{uid}/report/": {"post"},
    "/api/tracks/{uid}/similar/": {"get"},
    "/api/models/": {"get"},
    "/api/users/{username}/": {"get"},
    "/api/me/": {"get"},
    "/api/me/token/": {"get", "delete"},
    "/api/token/": {"post"},
    "/api/practice/": {"get", "post"},
    "/api/practice/{uid}/": {"get", "delete"},
    "/api/practice/{uid}/publish/": {"post"},
    "/api/practice/{uid}/unpublish/": {"post"},
}


def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    paths = {p: set(ops) - {"parameters"} for p, ops in schema["paths"].items()}
    assert paths == ENDPOINTS
    for path, ops in schema["paths"].items():
        if "{uid}" in path:
            for op in ops.values():
                uid = [p for p in op["parameters"] if p["name"] == "uid"][0]
                assert uid["schema"]["format"] == "uuid", path


def test_it_serves_the_schema_and_docs(api):
    assert api.get("/api/schema/").status_code == 200
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"redoc" in docs.content.lower()


def test_it_uses_one_error_format(api, alice):
    unauthenticated = api.get("/api/me/")
    assert unauthenticated.status_code == 401
    assert error(unauthenticated)["code"] == "not_authenticated"
    assert unauthenticated["WWW-Authenticate"] == "Token"
    api.force_authenticate(alice)
    missing = api.get("/api/tracks/6f0c4a36-1111-4c4c-9a9a-000000000000/")
    assert missing.status_code == 404 and error(missing) == {
        "code": "not_found",
        "message": "Not found.",
    }
    invalid = api.post("/api/jobs/", {"mode": "nonsense"}, format="json")
    body = error(invalid)
    assert invalid.status_code == 400 and body["code"] == "invalid"
    assert "mode" in body["fields"] and "seconds" in body["fields"]
    bad_json = api.post("/api/jobs/", "{nope", content_type="application/json")
    assert bad_json.status_code == 400 and error(bad_json)["code"] == "parse_error"
    wrong_method = api.delete("/api/models/")
    assert wrong_method.status_code == 405 and error(wrong_method)["code"] == "method_not_allowed"


def test_it_throttles_with_the_same_error_format(api, settings, track):
    from rest_framework.throttling import AnonRateThrottle

    original = AnonRateThrottle.THROTTLE_RATES
    AnonRateThrottle.THROTTLE_RATES = {**original, "anon": "2/min"}
    try:
        responses = [api.get("/api/tracks/") for _ in range(3)]
    finally:
        AnonRateThrottle.THROTTLE_RATES = original
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert error(responses[-1])["code"] == "throttled"


def test_it_issues_tokens_and_accepts_them(api, alice):
    bad = api.post("/api/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert bad.status_code == 400 and error(bad)["code"] == "invalid"
    token = api.post("/api/token/", {"username": "alice", "password": "pw-alice"}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get("/api/me/").json()["username"] == "alice"
