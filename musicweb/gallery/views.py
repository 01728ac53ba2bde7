"""Track pages and files. A track is private to its owner until published."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from musicweb.files import serve
from musicweb.gallery.models import FORMATS, Track


def get_track_for_user(user, uid) -> Track:
    """A track the user may see (published, or their own, or any for staff); 404 otherwise."""
    try:
        return Track.objects.visible_to(user).select_related("owner", "model_version").get(uid=uid)
    except (Track.DoesNotExist, ValueError):
        raise Http404("No such track.") from None


def _format_file(track: Track, fmt: str):
    """The track in the asked format, encoded from the WAV master on first request."""
    if fmt == "wav":
        return track.audio
    storage = track.audio.storage
    name = track.format_name(fmt)
    if not storage.exists(name):
        from generator import audio

        with track.audio.open("rb") as handle:
            samples = audio.decode(handle).samples[0]
        storage.save(name, ContentFile(audio.encode(samples, fmt)))
    field = Track._meta.get_field("audio").attr_class(track, Track._meta.get_field("audio"), name)
    return field


@require_GET
def track_audio(request, uid, fmt):
    if fmt not in FORMATS:
        raise Http404("Unknown format.")
    track = get_track_for_user(request.user, uid)
    from generator.audio import content_type

    download = f"{track.title}.{fmt}" if request.GET.get("download") else None
    return serve(request, _format_file(track, fmt), content_type(fmt), download)


@require_GET
def track_spectrogram(request, uid):
    track = get_track_for_user(request.user, uid)
    return serve(request, track.spectrogram, "image/png")


@require_GET
def track_detail(request, uid):
    track = get_track_for_user(request.user, uid)
    return render(request, "gallery/track.html", {"track": track})
