"""Template filters for showing music: durations as players show them."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def mmss(seconds) -> str:
    """Format a duration in seconds as m:ss (95.4 -> "1:35"), the way every player does."""
    try:
        whole = int(float(seconds))
    except (TypeError, ValueError):
        return ""
    if whole < 0:
        return ""
    return f"{whole // 60}:{whole % 60:02d}"


def _button(src: str, title: str, href: str, peaks: str, duration: float, **extra) -> dict:
    return {"src": src, "title": title, "href": href, "peaks": peaks, "duration": duration} | extra


@register.inclusion_tag("includes/play_button.html")
def play_track(track, queue: bool = True, count: bool = True) -> dict:
    """A button that plays a track in the player bar, counting the play where count is set.

    Job pages leave count off: an author checking a fresh result is not a listener.
    """
    return _button(
        reverse("gallery:audio", args=[track.uid, "wav"]),
        track.title,
        track.get_absolute_url(),
        reverse("gallery:peaks", args=[track.uid]),
        track.duration,
        count=reverse("gallery:play", args=[track.uid]) if count else "",
        queue=queue,
    )


@register.inclusion_tag("includes/play_button.html")
def play_clip(clip, queue: bool = True) -> dict:
    """A button that plays one of the user's own clips in the player bar."""
    return _button(
        reverse("library:audio", args=[clip.uid]),
        clip.title,
        clip.get_absolute_url(),
        reverse("library:peaks", args=[clip.uid]),
        clip.duration,
        queue=queue,
    )


@register.filter
def mode_limit(mode: str) -> float:
    """The longest result, in seconds, the site lets a mode make (settings.MAX_SECONDS)."""
    from django.conf import settings

    return settings.MAX_SECONDS.get(mode, 0)
