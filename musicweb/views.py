"""Site-wide pages: the landing page and the health check."""

from __future__ import annotations

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from django.db import connections
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from generator.engine.catalog import MODE_INFO
from musicweb.gallery.models import Track
from musicweb.library.models import Clip

log = logging.getLogger(__name__)


EXAMPLES = 6
LATEST = 4

# The modes as a musician would put them; the labels and limits come from the catalog.
MUSICIAN_WORDS = {
    "variation": "Jam on your riff: the same sound and feel, new phrases, as long as you like.",
    "style": "Your melody in another clip's tone, like playing a tune through someone else's amp.",
    "remix": "Hand the clip to a producer: the strength says how much of it they may change.",
    "continue": "Keep the band playing: the clip goes on past its last bar, without a seam.",
    "interpolate": "A crossfade that composes: one clip becomes the other over the length you set.",
    "dream": "No clip at all: the model improvises in the style it learned.",
    "replace": "Punch in a new take: pick the bars to redo, and the rest stays as you played it.",
}


def _modes() -> list[dict]:
    return [
        {
            "label": info.label,
            "words": MUSICIAN_WORDS.get(info.name, info.help),
            "clips": info.clips,
            "max_seconds": info.max_seconds,
        }
        for info in MODE_INFO.values()
    ]


@require_GET
def home(request):
    """The landing page: tracks to hear in one click, the modes, and one's own latest work."""
    context = {
        "examples": list(Track.objects.published().for_cards().sorted_by("top")[:EXAMPLES]),
        "modes": _modes(),
    }
    if request.user.is_authenticated:
        mine = Track.objects.filter(owner=request.user).for_cards().order_by("-created")
        context["takes"] = list(mine[:LATEST])
        context["clips"] = list(Clip.objects.owned_by(request.user)[:LATEST])
    return render(request, "home.html", context)


def _database_state() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ok"; the reason goes to the log
        log.warning("health: database check failed: %s", exc)
        return "error"
    return "ok"


def _channel_layer_state() -> str:
    """Send a message to a fresh channel and read it back."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return "missing"
    channel = f"healthz.{uuid.uuid4().hex}"

    async def roundtrip() -> bool:
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=3)
        return message.get("type") == "health.ping"

    try:
        return "ok" if async_to_sync(roundtrip)() else "error"
    except Exception as exc:
        log.warning("health: channel layer check failed: %s", exc)
        return "error"


def _workers_alive() -> int | None:
    from django.conf import settings

    from generator.models import WorkerHeartbeat

    try:
        return WorkerHeartbeat.alive(within_seconds=settings.JOB_LEASE_SECONDS)
    except Exception as exc:
        log.warning("health: worker check failed: %s", exc)
        return None


@never_cache
@require_GET
def healthz(request):
    """The web's own dependencies decide the status; workers are reported, not required."""
    checks = {"database": _database_state(), "channel_layer": _channel_layer_state()}
    healthy = all(state == "ok" for state in checks.values())
    workers = _workers_alive()
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            **checks,
            "workers": workers,
            "worker": "ok" if workers else "none running",
        },
        status=200 if healthy else 503,
    )
