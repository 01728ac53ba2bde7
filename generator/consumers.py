"""WebSockets that stream job state: one job (/ws/jobs/<id>/) or all of one's jobs (/ws/jobs/)."""

from __future__ import annotations

from channels.db import database_sync_to_async

from generator.live import job_group, user_group
from generator.models import GenerationJob, TrainingJob
from musicweb.sockets import JsonObjectConsumer


class JobConsumer(JsonObjectConsumer):
    """Send the job's current state on connect, then every change; owner and staff only."""

    @database_sync_to_async
    def job_state(self, user, uid) -> dict | None:
        try:
            return (
                GenerationJob.objects.visible_to(user).select_related("track").get(uid=uid).state()
            )
        except (GenerationJob.DoesNotExist, ValueError):
            return None

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.uid = self.scope["url_route"]["kwargs"]["uid"]
        state = await self.job_state(user, self.uid) if user and user.is_authenticated else None
        if state is None:
            await self.close(code=4403)
            return
        self.group = job_group(self.uid)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(state)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # The page may ask for a fresh copy of the state (after a reconnect, say).
        if content.get("type") == "refresh":
            state = await self.job_state(self.scope["user"], self.uid)
            if state is not None:
                await self.send_json(state)

    async def job_progress(self, event) -> None:
        await self.send_json(event["state"])


class TrainingConsumer(JobConsumer):
    """The same stream for a training job, which only staff may watch."""

    @database_sync_to_async
    def job_state(self, user, uid) -> dict | None:
        if not user.is_staff:
            return None
        try:
            return TrainingJob.objects.select_related("result").get(uid=uid).state()
        except (TrainingJob.DoesNotExist, ValueError):
            return None


class JobListConsumer(JsonObjectConsumer):
    """Stream state changes of every job of the signed-in user, for the My jobs page."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4403)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_progress(self, event) -> None:
        await self.send_json(event["state"])
