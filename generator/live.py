"""Push a job's state to everyone watching it: the channel groups and the send.

Consumers join these groups; job rows (a cancel) and workers (progress, the end)
send to them. This module imports neither side, so the model layer reaches the
channel layer without importing the worker.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def job_group(job_uid) -> str:
    """Watchers of one job: its page and the API's followers."""
    return f"job-{job_uid}"


def user_group(user_id: int) -> str:
    """Watchers of all of one person's generation jobs: the My jobs page."""
    return f"jobs-of-{user_id}"


def broadcast(job) -> None:
    """Send the job's state to every group that watches it (`job.live_groups()`)."""
    layer = get_channel_layer()
    if layer is None:
        return
    # sent_at lets a watcher measure how long the message took to arrive.
    message = {"type": "job.progress", "state": {**job.state(), "sent_at": time.time()}}
    try:
        for group in job.live_groups():
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # a lost message is caught up on reconnect; never fail a job for it
        log.exception("could not send progress of job %s", job.uid)
