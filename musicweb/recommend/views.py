"""The For you page, the radio page, and the forms that change a listener's history."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from musicweb.gallery.views import get_track_for_user
from musicweb.recommend import data
from musicweb.recommend.models import HISTORY_KINDS, SKIP_SECONDS, forget, set_styles


@login_required
@require_GET
def for_you(request):
    """The picks' cards are rendered once per set of live picks (a page has about 120 links)."""
    picks, version = data.live_picks(request.user)
    key = "recommend:for-you-html:" + version
    cards = cache.get(key)
    if cards is None:
        rows = data.rows(picks, request.user)
        cards = render_to_string("recommend/_picks.html", {"picks": rows}, request)
        cache.set(key, cards, data.PICKS_SECONDS)
    styles = list(request.user.style_picks.values_list("style", flat=True))
    return render(
        request,
        "recommend/for_you.html",
        {
            "cards": cards,
            "has_picks": bool(picks),
            "styles": styles,
            "choices": data.style_choices(),
        },
    )


@login_required
@require_POST
def choose_styles(request):
    choices = set(data.style_choices())
    wanted = [s for s in request.POST.getlist("styles") if s in choices]
    set_styles(request.user, wanted)
    messages.success(request, "Your styles are saved." if wanted else "Your styles are cleared.")
    return redirect("recommend:for_you")


@require_GET
def radio(request):
    """A radio from ?track=<uid> or ?style=<tag>: the first tracks; radio.js fetches more."""
    uid, style = request.GET.get("track", ""), request.GET.get("style", "").strip().lower()
    try:
        track = get_track_for_user(request.user, uuid.UUID(uid)) if uid else None
    except ValueError:
        raise Http404("No such track.") from None
    if bool(track) == bool(style):
        raise Http404("Start a radio from a track or a style.")
    picks = data.radio(request.user, track=track, style=style)
    return render(
        request,
        "recommend/radio.html",
        {"seed": track, "style": style, "picks": picks, "skip_seconds": SKIP_SECONDS},
    )


@login_required
@require_POST
def forget_all(request):
    forget(request.user)
    messages.success(request, "Your listening history is deleted.")
    return redirect("profile")


@login_required
@require_POST
def forget_one(request, kind: str, pk: int):
    if kind not in HISTORY_KINDS or not forget(request.user, kind, pk):
        raise Http404("No such item in your history.")
    messages.success(request, "That item is gone from your history.")
    return redirect("profile")
