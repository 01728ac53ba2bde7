"""Staff manage models: the registry, checkpoint uploads, training from the web, the admin."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from generator import runner
from generator.models import GenerationJob, ModelVersion, ModelVersionError, TrainingJob
from generator.registry import WEIGHTS_DIR
from generator.training_runner import run_training_job
from tests.factories import make_clip, make_job, tone

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("memory_layer")]

STAFF_PAGES = [
    "/staff/models/",
    "/staff/models/compare/",
    "/staff/training/new/",
    "/admin/",
    "/admin/generator/generationjob/",
    "/admin/generator/modelversion/",
    "/admin/generator/trainingjob/",
    "/admin/accounts/user/",
    "/admin/library/clip/",
]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_it_keeps_non_staff_out(client, alice, path):
    assert client.get(path)["Location"].startswith("/admin/login/")
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_it_lets_staff_in(client, charlie, path):
    client.force_login(charlie)
    assert client.get(path).status_code == 200


def test_it_keeps_non_staff_from_model_actions(client, alice):
    texture = ModelVersion.objects.get(name="texture")
    client.force_login(alice)
    client.post(f"/staff/models/{texture.pk}/retire/")
    texture.refresh_from_db()
    assert texture.state == "active"


def _version(name: str, version: int, **fields) -> ModelVersion:
    fields.setdefault("state", "draft")
    return ModelVersion.objects.create(
        name=name, version=version, arch="texture", modes=["variation", "style"], **fields
    )


def test_it_activates_defaults_retires_and_rolls_back(client, charlie):
    texture = ModelVersion.objects.get(name="texture")
    newer = _version("texture", 2)
    client.force_login(charlie)
    client.post(f"/staff/models/{newer.pk}/activate/")
    client.post(f"/staff/models/{newer.pk}/default/")
    newer.refresh_from_db()
    texture.refresh_from_db()
    assert newer.state == "active" and newer.default_for == ["variation", "style"]
    assert texture.default_for == []
    assert ModelVersion.objects.default_for("variation") == newer

    response = client.post(f"/staff/models/{newer.pk}/retire/", follow=True)
    assert "is a default" in response.content.decode()
    client.post(f"/staff/models/{newer.pk}/rollback/")
    newer.refresh_from_db()
    texture.refresh_from_db()
    assert newer.state == "retired" and texture.default_for == ["variation", "style"]
    assert ModelVersion.objects.default_for("style") == texture
    assert LogEntry.objects.filter(user=charlie).count() == 3


def test_it_keeps_a_default_from_retiring_and_a_first_version_from_rolling_back(client, charlie):
    texture = ModelVersion.objects.get(name="texture")
    with pytest.raises(ModelVersionError, match="is a default"):
        texture.retire()
    with pytest.raises(ModelVersionError, match="No earlier version of texture"):
        texture.roll_back()
    client.force_login(charlie)
    response = client.post(f"/staff/models/{texture.pk}/rollback/", follow=True)
    assert "No earlier version of texture" in response.content.decode()
    response = client.post(
        "/admin/generator/modelversion/",
        {"action": "retire", "_selected_action": [texture.pk]},
        follow=True,
    )
    assert "is a default; make another version default first" in response.content.decode()
    texture.refresh_from_db()
    assert texture.state == "active" and texture.default_for == ["variation", "style"]
    assert not LogEntry.objects.filter(user=charlie).exists()


def test_it_registers_the_next_version_for_the_modes_of_its_architecture():
    first = ModelVersion.objects.register(name="fresh", arch="unet", config={"loss": 0.5})
    second = ModelVersion.objects.register(
        name="fresh", arch="unet", config={"loss": float("nan")}, metrics={"kad": float("inf")}
    )
    assert (first.version, second.version) == (1, 2)
    assert second.modes == ["remix", "continue", "interpolate", "dream", "replace"]
    assert (second.config, second.metrics, second.state) == ({"loss": None}, {"kad": None}, "draft")
    assert ModelVersion.objects.register(name="t", arch="tagger", config={}).modes == []
    assert ModelVersion.objects.next_version("fresh") == 3


def test_it_activates_from_the_admin(client, charlie):
    draft = _version("texture", 2)
    client.force_login(charlie)
    client.post(
        "/admin/generator/modelversion/", {"action": "activate", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.state == "active"
    assert LogEntry.objects.filter(user=charlie, object_id=str(draft.pk)).count() == 1


def test_it_offers_only_active_versions_on_the_generate_page(client, alice, charlie):
    make_clip(alice)
    draft = _version("texture-plus", 1)
    client.force_login(alice)
    assert "texture-plus v1" not in client.get("/generate/").content.decode()
    client.force_login(charlie)
    client.post(f"/staff/models/{draft.pk}/activate/")
    client.force_login(alice)
    assert "texture-plus v1" in client.get("/generate/").content.decode()


def test_it_lets_a_running_job_keep_its_version(alice, charlie, settings):
    clip = make_clip(alice)
    job = make_job(alice, clip, seconds=1)
    texture = job.model_version
    _version("texture", 2).make_default()
    assert runner.run_job(job.pk, worker="w1") == "done"
    job.refresh_from_db()
    assert job.model_version == texture and job.track.recipe["model"] == "texture v1"


def _upload(client, weights: bytes, config: bytes, name: str = "uploaded"):
    return client.post(
        "/staff/models/upload/",
        {
            "name": name,
            "weights": SimpleUploadedFile("model.safetensors", weights),
            "config": SimpleUploadedFile("config.json", config),
        },
        follow=True,
    )


def _shipped(arch: str) -> Path:
    for config in WEIGHTS_DIR.glob("*/config.json"):
        if json.loads(config.read_text()).get("arch") == arch:
            return config.parent
    pytest.skip(f"no shipped {arch} checkpoint")


def test_it_accepts_a_good_checkpoint_as_a_draft(client, charlie, settings):
    folder = _shipped("tagger")
    client.force_login(charlie)
    response = _upload(
        client, (folder / "model.safetensors").read_bytes(), (folder / "config.json").read_bytes()
    )
    assert "passed its checks" in response.content.decode()
    version = ModelVersion.objects.get(name="uploaded")
    assert version.state == "draft" and version.arch == "tagger"
    assert Path(version.weights_path, "model.safetensors").exists()


@pytest.mark.parametrize("defect", ["garbage", "tampered", "mismatch", "pickle", "not-json"])
def test_it_refuses_a_bad_checkpoint_and_changes_nothing(
    client, charlie, settings, tmp_path, defect
):
    import torch

    folder = _shipped("tagger")
    weights = (folder / "model.safetensors").read_bytes()
    config = json.loads((folder / "config.json").read_text())
    if defect == "garbage":
        weights = b"\x00" * 1000
    elif defect == "tampered":
        weights = weights[:-8] + b"\x01" * 8
    elif defect == "mismatch":
        config["hparams"]["embed_dim"] = config["hparams"]["embed_dim"] * 2
    elif defect == "pickle":
        path = tmp_path / "evil.pt"
        torch.save({"w": torch.zeros(3)}, path)
        weights = path.read_bytes()
    config_bytes = b"{not json" if defect == "not-json" else json.dumps(config).encode()
    before = ModelVersion.objects.count()
    client.force_login(charlie)
    response = _upload(client, weights, config_bytes)
    assert "Upload refused" in response.content.decode()
    assert ModelVersion.objects.count() == before
    models_dir = Path(settings.MEDIA_ROOT) / "models"
    assert not models_dir.exists()  # a checkpoint is vetted in a scratch folder elsewhere


@pytest.mark.slow
def test_it_trains_activates_and_generates_from_the_web(
    client, charlie, django_capture_on_commit_callbacks
):
    """The whole registry path on a tiny clip set, in well under a minute."""
    clips = [
        make_clip(charlie),
        make_clip(charlie, "tone", samples=tone(3)),
    ]
    client.force_login(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/training/new/",
            {
                "name": "tiny-unet",
                "arch": "unet",
                "clips": [c.uid for c in clips],
                "steps": 4,
                "batch_size": 2,
                "learning_rate": 3e-4,
                "seed": 1,
            },
        )
    training = TrainingJob.objects.get()
    assert response["Location"] == training.get_absolute_url() and training.task_id
    assert run_training_job(training.pk, worker="w1") == "done"
    training.refresh_from_db()
    assert len(training.losses) >= 1 and training.progress == 1.0
    # The curve comes from the engine's step and loss fields: every step, none parsed.
    assert [step for step, _ in training.losses] == [1, 2, 3, 4]
    assert all(loss > 0 for _, loss in training.losses)
    version = training.result
    assert version.state == "draft" and version.name == "tiny-unet" and "remix" in version.modes
    evaluation = version.metrics["evaluation"]
    # Fréchet distances are clamped at 0: a remix that copied its source would score 0.
    assert evaluation["clips"] == 2 and 0 < evaluation["remix_frechet"] < math.inf
    assert 0 < evaluation["shuffle_frechet"] < math.inf
    assert isinstance(evaluation["beats_shuffle_baseline"], bool)
    assert evaluation["beats_shuffle_baseline"] == (
        evaluation["remix_frechet"] < evaluation["shuffle_frechet"]
    )
    page = client.get(training.get_absolute_url()).content.decode()
    assert "tiny-unet v1" in page

    client.post(f"/staff/models/{version.pk}/activate/")
    assert "tiny-unet v1" in client.get("/generate/?mode=remix").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/generate/",
            {
                "mode": "remix",
                "clip": clips[0].uid,
                "model_version": version.pk,
                "seconds": 2,
                "strength": 0.5,
                "steps": 2,
                "seed": 5,
            },
        )
    job = GenerationJob.objects.get()
    assert job.model_version == version
    assert runner.run_job(job.pk, worker="w1") == "done"


def test_it_refuses_training_without_data(client, charlie):
    client.force_login(charlie)
    response = client.post(
        "/staff/training/new/",
        {
            "name": "x",
            "arch": "unet",
            "steps": 4,
            "batch_size": 2,
            "learning_rate": 3e-4,
            "seed": 1,
        },
    )
    assert "Choose some clips, or the corpus" in response.content.decode()
    assert not TrainingJob.objects.exists()


def test_it_cancels_and_resumes_training(client, charlie, settings):
    clip = make_clip(charlie)
    client.force_login(charlie)
    client.post(
        "/staff/training/new/",
        {
            "name": "resumable",
            "arch": "tagger",
            "clips": [clip.uid],
            "steps": 3,
            "batch_size": 2,
            "learning_rate": 3e-4,
            "seed": 1,
        },
    )
    first = TrainingJob.objects.get()
    first.cancel()
    first.refresh_from_db()
    assert first.status == "cancelled"
    client.post(f"/staff/training/{first.uid}/resume/")
    second = TrainingJob.objects.exclude(pk=first.pk).get()
    assert (second.folder, second.steps, list(second.clips.all())) == (first.folder, 3, [clip])


def test_it_logs_admin_actions_on_users_and_jobs(client, alice, charlie):
    job = make_job(alice, make_clip(alice))
    client.force_login(charlie)
    client.post(
        "/admin/generator/generationjob/", {"action": "cancel_jobs", "_selected_action": [job.pk]}
    )
    client.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [alice.pk]})
    job.refresh_from_db()
    alice.refresh_from_db()
    assert job.status == "cancelled" and not alice.is_active
    assert LogEntry.objects.filter(user=charlie).count() == 2


def test_it_deletes_a_user_with_all_their_files_from_the_admin(
    client, alice, charlie, settings, django_capture_on_commit_callbacks
):
    make_clip(alice)
    client.force_login(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    assert not type(alice).objects.filter(pk=alice.pk).exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.ogg"))


def test_shipped_checkpoints_are_small(tmp_path):
    total = sum(p.stat().st_size for p in WEIGHTS_DIR.rglob("*") if p.is_file())
    assert total < 40 * 1024 * 1024
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_it_compares_versions_with_samples_from_the_same_clip_and_seed(client, charlie):
    clip = make_clip(charlie)
    texture = ModelVersion.objects.get(name="texture")
    texture.metrics = {"quality": 0.5}
    texture.save()
    other = _version("texture", 2, state="active", metrics={"quality": 0.7})
    client.force_login(charlie)
    page = client.get(f"/staff/models/compare/?v={texture.pk}&v={other.pk}").content.decode()
    assert "texture v1" in page and "texture v2" in page and "0.7" in page
    response = client.post(
        f"/staff/models/compare/?v={texture.pk}&v={other.pk}",
        {"v": [texture.pk, other.pk], "clip": clip.uid},
    )
    jobs = list(GenerationJob.objects.order_by("model_version__version"))
    assert [j.model_version for j in jobs] == [texture, other]
    assert jobs[0].seed == jobs[1].seed and jobs[0].clip == jobs[1].clip == clip
    assert all(f"job={j.uid}" in response["Location"] for j in jobs)


def test_it_refuses_to_compare_without_a_clip(client, charlie):
    texture = ModelVersion.objects.get(name="texture")
    other = _version("texture", 2, state="active")
    client.force_login(charlie)
    response = client.post("/staff/models/compare/", {"v": [texture.pk, other.pk]}, follow=True)
    assert "Choose one of your clips" in response.content.decode()
    assert not GenerationJob.objects.exists()
