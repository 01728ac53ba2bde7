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

log = logging.getLogger(__name__)


@require_GET
def home(request):
    return render(request, "home.html")


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
