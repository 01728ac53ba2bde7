"""Pages for making music: the Generate form, a job's live page, and one's job list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generator.engine.catalog import MODE_INFO
from generator.engine.contract import SETTINGS, random_seed
from generator.forms import GenerateForm
from generator.jobs import JobRefused, resubmit, submit
from generator.models import GenerationJob, ModelVersion
from musicweb.library.models import Clip


def _initial_from_job(job: GenerationJob) -> dict:
    """Every recipe setting of a job, as the form takes it ("Edit settings")."""
    initial = {}
    for name, setting in SETTINGS.items():
        value = getattr(job, name)
        if setting.kind == "clip":
            value = value.uid if value else None
        elif setting.kind == "model":
            value = value.pk
        initial[name] = value
    return initial


def _initial_from_query(request) -> dict:
    """Refill the form from a link, e.g. the gallery's "try these settings" or a clip page."""
    return {name: request.GET[name] for name in SETTINGS if request.GET.get(name)}


def _mode_versions() -> dict[str, list[dict]]:
    """Active model versions per mode, so the page can offer only those that fit."""
    versions = list(ModelVersion.objects.active())
    return {
        mode: [
            {"id": v.pk, "label": v.label, "default": mode in v.default_for}
            for v in versions
            if mode in v.modes
        ]
        for mode in MODE_INFO
    }


@login_required
@require_http_methods(["GET", "POST"])
def generate(request):
    if request.method == "POST":
        form = GenerateForm(request.user, request.POST)
        if form.is_valid():
            try:
                job = submit(request.user, form.cleaned_data)
            except JobRefused as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(job)
    else:
        initial = {}
        if request.GET.get("from"):
            initial = _initial_from_job(
                GenerationJob.objects.get_for_user(request.user, request.GET["from"])
            )
        initial.update(_initial_from_query(request))
        form = GenerateForm(request.user, initial=initial)
    return render(
        request,
        "generator/generate.html",
        {
            "form": form,
            "modes": MODE_INFO.values(),
            "mode_versions": _mode_versions(),
            "has_clips": Clip.objects.owned_by(request.user).exists(),
        },
    )


@login_required
@require_GET
def job_detail(request, uid):
    job = GenerationJob.objects.get_for_user(request.user, uid)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(job.state())
    return render(request, "generator/job.html", {"job": job, "state": job.state()})


@login_required
@require_POST
def job_cancel(request, uid):
    job = GenerationJob.objects.get_for_user(request.user, uid)
    if job.cancel():
        messages.info(request, "Cancelling." if job.status == job.Status.RUNNING else "Cancelled.")
    else:
        messages.info(request, "This job has already ended.")
    return redirect(job)


@login_required
@require_POST
def job_again(request, uid):
    """Queue the job's recipe again: Retry keeps the seed, Generate again draws a new one."""
    job = GenerationJob.objects.get_for_user(request.user, uid)
    if job.owner != request.user:
        raise Http404("No such job.")
    new_seed = random_seed() if request.POST.get("seed") == "new" else None
    try:
        again = resubmit(job, new_seed=new_seed)
    except JobRefused as exc:
        messages.error(request, str(exc))
        return redirect(job)
    return redirect(again)


@login_required
@require_GET
def job_list(request):
    jobs = (
        GenerationJob.objects.owned_by(request.user)
        .select_related("model_version", "track")
        .order_by("-created")
    )
    status = request.GET.get("status")
    if status in GenerationJob.Status.values:
        jobs = jobs.filter(status=status)
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "generator/jobs.html",
        {"page": page, "status": status, "statuses": GenerationJob.Status.choices},
    )
