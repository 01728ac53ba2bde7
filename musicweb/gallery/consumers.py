"""/ws/tracks/<id>/: live rating and play counts for anyone who may see the track."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from musicweb.gallery.live import stats, track_group
from musicweb.gallery.models import Track


class TrackConsumer(AsyncJsonWebsocketConsumer):
    @database_sync_to_async
    def current(self, user, uid) -> dict | None:
        try:
            return stats(Track.objects.visible_to(user).get(uid=uid))
        except (Track.DoesNotExist, ValueError):
            return None

    async def connect(self) -> None:
        uid = self.scope["url_route"]["kwargs"]["uid"]
        current = await self.current(self.scope["user"], uid)
        if current is None:
            await self.close(code=4403)
            return
        self.group = track_group(uid)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(current)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def track_stats(self, event) -> None:
        await self.send_json(event["stats"])
