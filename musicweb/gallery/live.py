"""Push a track's rating and play counts to everyone on its page, as they change; and
tell them when who may see it changes."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def track_group(uid) -> str:
    return f"track-{uid}"


def stats(track) -> dict:
    return {
        "average": track.rating_average,
        "count": track.rating_count,
        "plays": track.play_count,
    }


def _send(uid, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(track_group(uid), message)
    except Exception:  # the page also shows fresh counts on reload; never fail a rating for it
        log.exception("could not tell the watchers of track %s", uid)


def broadcast_stats(track) -> None:
    _send(track.uid, {"type": "track.stats", "stats": stats(track)})


def broadcast_access(uid) -> None:
    """Tell the track's watchers to check again whether they may see it."""
    _send(uid, {"type": "track.access"})
