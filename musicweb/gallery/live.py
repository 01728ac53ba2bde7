"""Push a track's rating and play counts to everyone on its page, as they change."""

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


def broadcast_stats(track) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            track_group(track.uid), {"type": "track.stats", "stats": stats(track)}
        )
    except Exception:  # the page also shows fresh counts on reload; never fail a rating for it
        log.exception("could not push the counts of track %s", track.uid)
