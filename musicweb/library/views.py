"""Pages of a person's private clip library."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musicweb.files import serve
from musicweb.library.forms import ClipForm, UploadForm
from musicweb.library.ingest import UploadRejected, ingest
from musicweb.library.models import SORTS, Clip

CONTENT_TYPES = {
    "WAV": "audio/wav",
    "WAVEX": "audio/wav",
    "FLAC": "audio/flac",
    "OGG": "audio/ogg",
    "MP3": "audio/mpeg",
    "AIFF": "audio/aiff",
}


def get_clip_for_user(user, uid) -> Clip:
    """Return the user's clip, or 404 for anyone else's (never 403, so ids leak nothing)."""
    try:
        return Clip.objects.owned_by(user).get(uid=uid)
    except (Clip.DoesNotExist, ValueError):
        raise Http404("No such clip.") from None


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _usage(user) -> dict:
    used = Clip.objects.owned_by(user).stored_bytes()
    quota = user.quota_bytes
    return {
        "used": used,
        "quota": quota,
        "left": max(0, quota - used),
        "percent": min(100, round(100 * used / quota)),
    }


@login_required
@require_GET
def clip_list(request):
    query = request.GET.get("q", "")
    sort = request.GET.get("sort", "newest")
    clips = Clip.objects.owned_by(request.user).search(query).sorted_by(sort)
    page = Paginator(clips, 24).get_page(request.GET.get("page"))
    return render(
        request,
        "library/list.html",
        {
            "page": page,
            "query": query,
            "sort": sort if sort in SORTS else "newest",
            "sorts": SORTS.keys(),
            "form": UploadForm(),
            "usage": _usage(request.user),
        },
    )


@login_required
@require_POST
def upload(request):
    """Store each uploaded file; with JavaScript one file arrives per request."""
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        error = " ".join(form.errors.get("files", ["Choose at least one audio file."]))
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=400)
        messages.error(request, error)
        return redirect("library:list")
    results = []
    refusals = []
    for upload_file in form.cleaned_data["files"]:
        try:
            clip = ingest(request.user, upload_file)
        except UploadRejected as exc:
            refusals.append(exc.status)
            results.append({"name": upload_file.name, "ok": False, "error": str(exc)})
        else:
            results.append({"name": upload_file.name, "ok": True, "url": clip.get_absolute_url()})
    if _wants_json(request):
        status = max(refusals, default=201)
        first = results[0]
        return JsonResponse({**first, "results": results}, status=status)
    for result in results:
        if result["ok"]:
            messages.success(request, f"“{result['name']}” is in your library.")
        else:
            messages.error(request, f"“{result['name']}” was not stored: {result['error']}")
    return redirect("library:list")


@login_required
@require_http_methods(["GET", "POST"])
def clip_detail(request, uid):
    clip = get_clip_for_user(request.user, uid)
    form = ClipForm(request.POST or None, instance=clip)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect(clip)
    return render(request, "library/detail.html", {"clip": clip, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def clip_delete(request, uid):
    clip = get_clip_for_user(request.user, uid)
    if request.method == "POST":
        title = clip.title
        clip.delete()
        messages.success(request, f"“{title}” is deleted.")
        return redirect("library:list")
    return render(request, "library/delete.html", {"clip": clip})


@login_required
@require_GET
def clip_audio(request, uid):
    clip = get_clip_for_user(request.user, uid)
    download = clip.original_name if request.GET.get("download") else None
    return serve(
        request, clip.original, CONTENT_TYPES.get(clip.format, "application/octet-stream"), download
    )


@login_required
@require_GET
def clip_peaks(request, uid):
    """The stored waveform peaks, so the player bar draws a clip without decoding its audio."""
    return JsonResponse(get_clip_for_user(request.user, uid).peaks, safe=False)


@login_required
@require_GET
def clip_spectrogram(request, uid):
    clip = get_clip_for_user(request.user, uid)
    return serve(request, clip.spectrogram, "image/png")
