"""The gallery: browse, play, rate and report published tracks; publish one's own.

A track is private to its owner until published. Every page works without
JavaScript (plain forms); with it, ratings and play counts update in place
through the same views answering JSON.
"""

from __future__ import annotations

import hashlib
import io
from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generator.engine.contract import settings_from_record
from musicweb import files, permissions
from musicweb.files import serve
from musicweb.gallery.forms import GalleryFilterForm, PublishForm, RatingForm, ReportForm
from musicweb.gallery.models import (
    FORMATS,
    SORTS,
    Rating,
    Report,
    Track,
    address_key,
    author_stats,
    listener_key,
)

PAGE_SIZE = 24
FEATURED_STRIP = 6


def get_track_for_user(user, uid) -> Track:
    """A track the user may see (published, or their own, or any for staff); 404 otherwise."""
    try:
        return Track.objects.visible_to(user).select_related("owner", "model_version").get(uid=uid)
    except (Track.DoesNotExist, ValueError):
        raise Http404("No such track.") from None


def get_own_track(user, uid) -> Track:
    """The track if user may change it; 404 if they may not see it, 403 if only see it."""
    track = get_track_for_user(user, uid)
    if not permissions.may_edit(user, track):
        raise PermissionDenied("Only the track's owner can change it.")
    return track


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def rating_state(track: Track, user) -> dict:
    mine = None
    if user.is_authenticated:
        mine = Rating.objects.filter(track=track, user=user).values_list("stars", flat=True).first()
    return {"average": track.rating_average, "count": track.rating_count, "mine": mine}


VISITOR_CACHE_SECONDS = 5


def cached_for_visitors(view):
    """Serve signed-out visitors a copy at most a few seconds old; signed-in users never.

    Gallery pages are the same for every visitor, and under load the copy turns
    a page render into a cache read. Responses that set cookies (messages, a
    session) are never stored.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = "visitor-page:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                cache.set(key, response, VISITOR_CACHE_SECONDS)
        return response

    return wrapper


def _querystring(data, **changes) -> str:
    params = {k: v for k, v in data.items() if v not in ("", None) and k != "page"}
    params.update({k: v for k, v in changes.items() if v not in ("", None)})
    return urlencode(params)


def _format_file(track: Track, fmt: str):
    """The track in the asked format, encoded from the WAV master on first request.

    The encoded file appears whole or not at all (files.derive), a 0-byte file left by
    an older failed write is encoded again rather than served, and a copy finished
    after its track was deleted is removed at once.
    """
    if fmt == "wav":
        return track.audio
    storage = track.audio.storage
    name = track.format_name(fmt)
    if not files.is_complete(storage, name):
        from generator.engine import audio

        try:
            master = track.audio.open("rb")
        except OSError:
            raise Http404("No such file.") from None
        with master:
            files.derive(storage, name, lambda out: audio.transcode(master, out, fmt))
        if not Track.objects.filter(pk=track.pk).exists():
            storage.delete(name)
            raise Http404("No such track.")
    field = Track._meta.get_field("audio")
    return field.attr_class(track, field, name)


THUMBNAIL_BOX = (600, 200)  # twice a card's widest picture, for sharp phone screens


def _webp(png: bytes) -> bytes | None:
    """The picture shrunk into THUMBNAIL_BOX as WebP, or None if it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    out = io.BytesIO()
    try:
        with Image.open(io.BytesIO(png)) as image:
            small = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    small.thumbnail(THUMBNAIL_BOX)
    small.save(out, "WEBP", quality=70, method=4)
    return out.getvalue()


def _thumbnail_file(track: Track) -> tuple:
    """A small WebP of the spectrogram for cards, made on first request like the formats;
    the PNG itself where it cannot be read (it still shows, only larger)."""
    storage = track.spectrogram.storage
    name = track.thumbnail_name()
    if not files.is_complete(storage, name):
        try:
            with track.spectrogram.open("rb") as source:
                webp = _webp(source.read())
        except (OSError, ValueError):
            raise Http404("No such file.") from None
        if webp is None:
            return track.spectrogram, "image/png"
        files.derive(storage, name, lambda out: out.write(webp))
        if not Track.objects.filter(pk=track.pk).exists():
            storage.delete(name)
            raise Http404("No such track.")
    field = Track._meta.get_field("spectrogram")
    return field.attr_class(track, field, name), "image/webp"


@require_GET
def track_thumbnail(request, uid):
    track = get_track_for_user(request.user, uid)
    return serve(request, *_thumbnail_file(track))


@require_GET
def track_audio(request, uid, fmt):
    if fmt not in FORMATS:
        raise Http404("Unknown format.")
    track = get_track_for_user(request.user, uid)
    from generator.engine.audio import content_type

    try:
        stored = _format_file(track, fmt)
    except files.StorageFull as exc:
        return HttpResponse(str(exc), status=507, content_type="text/plain; charset=utf-8")
    download = f"{track.title}.{fmt}" if request.GET.get("download") else None
    return serve(request, stored, content_type(fmt), download)


@require_GET
def track_spectrogram(request, uid):
    track = get_track_for_user(request.user, uid)
    return serve(request, track.spectrogram, "image/png")


@require_GET
def track_peaks(request, uid):
    """The stored waveform peaks, so the player bar draws a track without decoding its audio."""
    track = get_track_for_user(request.user, uid)
    return JsonResponse(track.peaks, safe=False)


@require_GET
@cached_for_visitors
def gallery(request):
    form = GalleryFilterForm(request.GET)
    if not form.is_valid():
        kept = {k: v for k, v in request.GET.items() if k not in form.errors}
        form = GalleryFilterForm(kept)
        form.is_valid()
        messages.error(request, "Some filters were not understood and were left out.")
    tracks = form.tracks().for_cards()
    page = Paginator(tracks, PAGE_SIZE).get_page(request.GET.get("page"))
    featured = []
    if page.number == 1 and not form.is_filtered:
        featured = list(
            Track.objects.published()
            .filter(featured=True)
            .for_cards()
            .order_by("-published_at")[:FEATURED_STRIP]
        )
    cleaned = {k: v for k, v in form.cleaned_data.items() if v is not None}
    return render(
        request,
        "gallery/gallery.html",
        {
            "page": page,
            "form": form,
            "filters": cleaned,
            "featured": featured,
            "sorts": SORTS,
            "models": form.model_choices(),
            "querystring": _querystring(cleaned),
        },
    )


def share_urls(request, track: Track) -> dict | None:
    """Absolute addresses a public track is shared by (link, picture, audio, embed); else None."""
    if not track.is_public:
        return None
    absolute = request.build_absolute_uri
    return {
        "url": absolute(track.get_absolute_url()),
        "image": absolute(reverse("gallery:spectrogram", args=[track.uid])),
        "audio": absolute(reverse("gallery:audio", args=[track.uid, "ogg"])),
        "embed": absolute(reverse("gallery:embed", args=[track.uid])),
    }


def _detail_context(request, track: Track, **extra) -> dict:
    user = request.user
    try_params = settings_from_record(
        track.recipe or {},
        mode=track.mode,
        seconds=track.duration,
        model_version=track.model_version_id,
    )
    context = {
        "track": track,
        "recipe": track.recipe_for(user),
        "is_owner": permissions.may_edit(user, track),
        "rating": rating_state(track, user),
        "rating_refusal": permissions.rating_refusal(user, track),
        "report_refusal": permissions.report_refusal(user, track),
        "rating_form": RatingForm(),
        "report_form": ReportForm(),
        "publish_form": PublishForm(instance=track),
        "similar": track.similar() if track.is_public else [],
        "try_query": urlencode(try_params),
        "formats": FORMATS,
        "share": share_urls(request, track),
    }
    context.update(extra)
    return context


@require_GET
def track_detail(request, uid):
    track = get_track_for_user(request.user, uid)
    return render(request, "gallery/track.html", _detail_context(request, track))


@require_GET
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def track_embed(request, uid):
    """A bare player for one public track, for other sites to put in an iframe."""
    track = get_track_for_user(AnonymousUser(), uid)
    return render(
        request, "gallery/embed.html", {"track": track, "share": share_urls(request, track)}
    )


@login_required
@require_POST
def track_publish(request, uid):
    track = get_own_track(request.user, uid)
    form = PublishForm(request.POST, instance=track)
    if not form.is_valid():
        track.refresh_from_db()
        context = _detail_context(request, track, publish_form=form)
        return render(request, "gallery/track.html", context, status=400)
    track.publish(**{k: form.cleaned_data[k] for k in ("title", "description", "tags")})
    messages.success(request, "Published: anyone with the link, and the gallery, can see it.")
    return redirect(track)


@login_required
@require_POST
def track_unpublish(request, uid):
    track = get_own_track(request.user, uid)
    track.unpublish()
    messages.success(request, "Unpublished: only you can see this track now.")
    return redirect(track)


@require_http_methods(["POST"])
def track_rate(request, uid):
    """Set or remove (remove=1) one's rating; JSON for scripts, a redirect for forms."""
    track = get_track_for_user(request.user, uid)
    refusal = permissions.rating_refusal(request.user, track)
    if refusal:
        if _wants_json(request):
            return JsonResponse({"error": refusal}, status=403)
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={track.get_absolute_url()}")
        messages.error(request, refusal)
        return redirect(track)
    if request.POST.get("remove"):
        track.unrate(request.user)
        note = "Your rating is removed."
    else:
        form = RatingForm(request.POST)
        if not form.is_valid():
            error = " ".join(form.errors["stars"])
            if _wants_json(request):
                return JsonResponse({"error": error}, status=400)
            messages.error(request, error)
            return redirect(track)
        track.rate(request.user, form.cleaned_data["stars"])
        note = f"You gave it {form.cleaned_data['stars']} of 5."
    if _wants_json(request):
        return JsonResponse(rating_state(track, request.user))
    messages.success(request, note)
    return redirect(track)


@csrf_exempt  # counting a public play at most hourly is worth no token (and pages get cached)
@require_POST
def track_play(request, uid):
    """Count a play, at most once per listener per track per hour; safe to repeat."""
    track = get_track_for_user(request.user, uid)
    counted = track.count_play(listener_key(request), address_key(request))
    return JsonResponse({"counted": counted, "play_count": track.play_count})


@login_required
@require_POST
def track_report(request, uid):
    track = get_track_for_user(request.user, uid)
    refusal = permissions.report_refusal(request.user, track)
    if refusal:
        messages.error(request, refusal)
        return redirect(track)
    form = ReportForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, track, report_form=form)
        return render(request, "gallery/track.html", context, status=400)
    Report.objects.update_or_create(
        track=track, reporter=request.user, defaults={**form.cleaned_data, "resolved": False}
    )
    messages.success(request, "Thank you: a moderator will look at this track.")
    return redirect(track)


@require_GET
def profile(request, username):
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    own = request.user.is_authenticated and (request.user.pk == person.pk or request.user.is_staff)
    tracks = Track.objects.filter(owner=person) if own else Track.objects.published()
    tracks = tracks.filter(owner=person).for_cards().order_by("-published_at", "-created", "-id")
    stats = author_stats(person)
    page = Paginator(tracks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "gallery/profile.html",
        {"person": person, "page": page, "stats": stats, "own": own, "querystring": ""},
    )
