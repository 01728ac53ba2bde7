"""/ws/tracks/<id>/: live rating and play counts for anyone who may see the track.

Who may see a track changes (unpublished, hidden, deleted): every change of the row
sends the group a `track.access` message, and every message is checked against the
row before anything is forwarded, so a watcher who may no longer see the track is
disconnected (4403) and gets nothing more.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from musicweb.gallery.live import stats, track_group
from musicweb.gallery.models import Track
from musicweb.sockets import JsonObjectConsumer

FORBIDDEN = 4403


class TrackConsumer(JsonObjectConsumer):
    @database_sync_to_async
    def current(self) -> dict | None:
        """The track's counts if this socket's user may see it, else None."""
        try:
            track = Track.objects.visible_to(self.scope["user"]).get(uid=self.uid)
        except (Track.DoesNotExist, ValueError):
            return None
        return stats(track)

    async def connect(self) -> None:
        self.uid = self.scope["url_route"]["kwargs"]["uid"]
        current = await self.current()
        if current is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = track_group(self.uid)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(current)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _still_allowed(self) -> dict | None:
        current = await self.current()
        if current is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=FORBIDDEN)
        return current

    async def track_stats(self, event) -> None:
        # The row's own counts: as fresh as the event's, and only if still allowed.
        current = await self._still_allowed()
        if current is not None:
            await self.send_json(current)

    async def track_access(self, event) -> None:
        await self._still_allowed()
