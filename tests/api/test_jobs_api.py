"""Jobs over the API: submit through the Generate form, follow, cancel; owner or staff only."""

from __future__ import annotations

import pytest

from generator.engine.contract import MAX_SEED
from generator.models import GenerationJob
from tests.api.conftest import error
from tests.factories import make_clip, make_job, tone

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(alice):
    return make_clip(alice, samples=tone(1.0))


def test_it_submits_a_job_and_reports_its_state(
    api, alice, clip, django_capture_on_commit_callbacks
):
    api.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/jobs/",
            {"mode": "variation", "clip": str(clip.uid), "seconds": 3, "seed": 11},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    job = GenerationJob.objects.get()
    assert body["uid"] == str(job.uid) and body["state"]["status"] == "queued"
    assert body["state"]["queue_position"] == 1 and body["model_version"] == "texture v1"
    assert (job.seed, job.seconds, job.title) == (11, 3, "Variation of trumpet")
    assert api.get(f"/api/jobs/{job.uid}/").json()["state"] == job.state()
    assert api.get("/api/jobs/?status=queued").json()["count"] == 1
    cancelled = api.post(f"/api/jobs/{job.uid}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"seconds": 3}, "clip"),
        ({"seconds": 100000}, "seconds"),
        ({"seconds": 3, "strength": 7}, "strength"),
        ({"seconds": 3, "model_version": 999}, "model_version"),
        ({"seconds": "long"}, "seconds"),
    ],
)
def test_it_refuses_bad_requests_and_queues_nothing(api, alice, fields, field):
    api.force_authenticate(alice)
    response = api.post("/api/jobs/", {"mode": "variation", **fields}, format="json")
    assert response.status_code == 400 and field in error(response)["fields"]
    assert not GenerationJob.objects.exists()


def test_it_refuses_anothers_clip(api, bob, clip):
    api.force_authenticate(bob)
    response = api.post(
        "/api/jobs/", {"mode": "variation", "clip": str(clip.uid), "seconds": 3}, format="json"
    )
    assert response.status_code == 400 and "clip" in error(response)["fields"]


def test_it_refuses_past_the_limit(api, alice, clip, settings):
    settings.MAX_ACTIVE_JOBS = 1
    make_job(alice, clip)
    api.force_authenticate(alice)
    response = api.post(
        "/api/jobs/", {"mode": "variation", "clip": str(clip.uid), "seconds": 3}, format="json"
    )
    assert response.status_code == 429 and error(response)["code"] == "job_refused"
    assert GenerationJob.objects.count() == 1


def test_it_shows_jobs_to_owner_and_staff_only(api, alice, bob, charlie, clip):
    job = make_job(alice, clip)
    url = f"/api/jobs/{job.uid}/"
    assert api.get(url).status_code == 401
    assert api.post(url + "cancel/").status_code == 401
    api.force_authenticate(bob)
    assert api.get(url).status_code == 404
    assert api.post(url + "cancel/").status_code == 404
    assert api.get("/api/jobs/").json()["count"] == 0
    job.refresh_from_db()
    assert job.status == "queued"
    api.force_authenticate(charlie)  # staff, as on the job page
    assert api.get(url).status_code == 200
    assert api.post(url + "cancel/").json()["status"] == "cancelled"


def test_it_lists_active_models_per_mode(api):
    everything = api.get("/api/models/").json()
    assert {"texture v1"} <= {m["label"] for m in everything}
    variation = api.get("/api/models/?mode=variation").json()
    assert [m["label"] for m in variation] == ["texture v1"]
    assert variation[0]["default_for"] == ["variation", "style"]


def test_it_describes_me(api, alice, clip):
    api.force_authenticate(alice)
    me = api.get("/api/me/").json()
    assert (me["username"], me["clips"], me["tracks"], me["jobs"]) == ("alice", 1, 0, 0)
    assert me["used_bytes"] == clip.stored_bytes


def test_it_fills_omitted_settings_with_the_recipes_defaults(api, alice, clip):
    api.force_authenticate(alice)
    response = api.post(
        "/api/jobs/", {"mode": "variation", "clip": str(clip.uid), "seconds": 2}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["strength"], body["steps"]) == (0.5, None)
    assert 0 <= body["seed"] <= MAX_SEED and body["title"] == "Variation of trumpet"
    assert body["recipe"]["seed"] == GenerationJob.objects.get().seed == body["seed"]


def test_it_refuses_a_seed_past_the_one_range(api, alice, clip):
    api.force_authenticate(alice)
    response = api.post(
        "/api/jobs/",
        {"mode": "variation", "clip": str(clip.uid), "seconds": 2, "seed": MAX_SEED + 1},
        format="json",
    )
    assert response.status_code == 400 and "seed" in error(response)["fields"]
    assert not GenerationJob.objects.exists()
