"""Staff pages for the model registry: versions, upload, compare, train from the web."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generator.engine.catalog import MODE_INFO
from generator.forms import CheckpointUploadForm, TrainForm, random_seed
from generator.jobs import JobRefused, enqueue, submit
from generator.models import GenerationJob, ModelVersion, ModelVersionError, TrainingJob
from musicweb.library.models import Clip


def log_action(request, obj, message: str) -> None:
    """Record a staff action in the admin log, beside the admin's own entries."""
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


@staff_member_required
@require_GET
def model_list(request):
    versions = ModelVersion.objects.select_related("created_by").order_by("name", "-version")
    return render(
        request,
        "generator/staff/models.html",
        {
            "versions": versions,
            "upload_form": CheckpointUploadForm(),
            "modes": MODE_INFO.values(),
            "trainings": TrainingJob.objects.select_related("result").order_by("-created")[:10],
        },
    )


@staff_member_required
@require_POST
def model_action(request, pk: int, action: str):
    """Activate, retire, make default, or roll back a version."""
    version = get_object_or_404(ModelVersion, pk=pk)
    try:
        with transaction.atomic():
            if action == "activate":
                version.activate()
                message = f"{version} is active."
            elif action == "retire":
                version.retire()
                message = f"{version} is retired; running jobs keep it."
            elif action == "default":
                version.make_default()
                message = f"{version} is the default for {', '.join(version.modes)}."
            elif action == "rollback":
                previous = version.roll_back()
                message = f"Rolled back from {version} to {previous}."
            else:
                raise Http404("Unknown action.")
            log_action(request, version, message)
    except ModelVersionError as exc:
        messages.error(request, str(exc))
        return redirect("generator:models")
    messages.success(request, message)
    return redirect("generator:models")


@staff_member_required
@require_POST
def model_upload(request):
    """Vet an uploaded checkpoint in a scratch folder; keep it only if it passes."""
    form = CheckpointUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Upload refused: {error}")
        return redirect("generator:models")
    from generator.engine.vetting import VettingError, vet

    scratch = Path(tempfile.mkdtemp(prefix="checkpoint-"))
    try:
        for field, filename in (("weights", "model.safetensors"), ("config", "config.json")):
            with open(scratch / filename, "wb") as out:
                for chunk in form.cleaned_data[field].chunks():
                    out.write(chunk)
        try:
            config = vet(scratch)
        except (VettingError, ValueError, OSError) as exc:
            messages.error(request, f"Upload refused: {exc}")
            return redirect("generator:models")
        name = form.cleaned_data["name"]
        final = Path(settings.MEDIA_ROOT) / "models" / uuid.uuid4().hex
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(scratch, final)
        version = ModelVersion.objects.register(
            name=name,
            arch=config["arch"],
            config=config,
            weights_path=str(final),
            metrics=config.get("metrics", {}),
            provenance=str(config.get("provenance", "uploaded"))[:2000],
            created_by=request.user,
        )
        log_action(request, version, "Uploaded and vetted a checkpoint.")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    messages.success(
        request, f"{version} passed its checks and is a draft; activate it when ready."
    )
    return redirect("generator:models")


@staff_member_required
@require_http_methods(["GET", "POST"])
def model_compare(request):
    """Metrics side by side, and a sample from the same clip and seed by each version."""
    try:
        ids = [int(v) for v in request.GET.getlist("v") or request.POST.getlist("v")]
        uids = [uuid.UUID(j) for j in request.GET.getlist("job")]
    except ValueError:
        ids = uids = None
    if ids is None or not all(0 < pk < 2**63 for pk in ids):
        return HttpResponseBadRequest(
            "Name model versions by their numbers (?v=3&v=4) and jobs by their ids.",
            content_type="text/plain",
        )
    versions = list(ModelVersion.objects.filter(pk__in=ids)[:4])
    jobs = list(GenerationJob.objects.visible_to(request.user).filter(uid__in=uids))
    clips = Clip.objects.owned_by(request.user).order_by("title")
    if request.method == "POST" and len(versions) >= 2:
        common = [m for m in versions[0].modes if all(m in v.modes for v in versions)]
        clip = clips.filter(uid=request.POST.get("clip")).first()
        if not common:
            messages.error(request, "These versions serve no mode in common.")
        elif MODE_INFO[common[0]].clips and clip is None:
            messages.error(request, "Choose one of your clips to generate the samples from.")
        else:
            seed = random_seed()
            query = "&".join(f"v={v.pk}" for v in versions)
            try:
                for v in versions:
                    job = submit(
                        request.user,
                        {
                            "title": f"{v.label} sample",
                            "mode": common[0],
                            "model_version": v,
                            "clip": clip if MODE_INFO[common[0]].clips else None,
                            "clip2": clip if MODE_INFO[common[0]].clips > 1 else None,
                            "seconds": 5.0,
                            "strength": 0.5,
                            "steps": None,
                            "seed": seed,
                        },
                    )
                    query += f"&job={job.uid}"
            except JobRefused as exc:
                messages.error(request, str(exc))
            return redirect(f"{request.path}?{query}")
    metric_names = sorted({k for v in versions for k in v.metrics})
    return render(
        request,
        "generator/staff/compare.html",
        {
            "versions": versions,
            "metric_rows": [
                (name, [v.metrics.get(name, "—") for v in versions]) for name in metric_names
            ],
            "jobs": jobs,
            "clips": clips,
        },
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def training_new(request):
    form = TrainForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            job = TrainingJob.objects.create(
                owner=request.user,
                name=data["name"],
                arch=data["arch"],
                use_corpus=data["use_corpus"],
                steps=data["steps"],
                batch_size=data["batch_size"],
                learning_rate=data["learning_rate"],
                seed=data["seed"],
                folder="",
            )
            job.folder = f"models/training-{job.uid.hex}"
            job.save(update_fields=["folder"])
            job.clips.set(data["clips"])
            transaction.on_commit(lambda: enqueue(job))
        return redirect(job)
    return render(request, "generator/staff/train.html", {"form": form})


@staff_member_required
@require_GET
def training_detail(request, uid):
    job = get_object_or_404(TrainingJob, uid=uid)
    return render(request, "generator/staff/training.html", {"job": job, "state": job.state()})


@staff_member_required
@require_POST
def training_cancel(request, uid):
    job = get_object_or_404(TrainingJob, uid=uid)
    if job.cancel():
        log_action(request, job, "Cancelled training.")
    return redirect(job)


@staff_member_required
@require_POST
def training_resume(request, uid):
    """Queue a new run that continues from the cancelled or failed run's saved state."""
    old = get_object_or_404(TrainingJob, uid=uid)
    if not old.is_finished or old.status == TrainingJob.Status.DONE:
        messages.error(request, "Only a cancelled or failed training can be resumed.")
        return redirect(old)
    with transaction.atomic():
        job = TrainingJob.objects.create(
            owner=request.user,
            name=old.name,
            arch=old.arch,
            use_corpus=old.use_corpus,
            steps=old.steps,
            batch_size=old.batch_size,
            learning_rate=old.learning_rate,
            seed=old.seed,
            folder=old.folder,
            losses=old.losses,
        )
        job.clips.set(old.clips.all())
        transaction.on_commit(lambda: enqueue(job))
    log_action(request, job, f"Resumed training from {old.uid}.")
    return redirect(job)
