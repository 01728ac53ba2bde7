from __future__ import annotations

from django.urls import path

from generator import consumers

websocket_urlpatterns = [
    path("ws/jobs/", consumers.JobListConsumer.as_asgi()),
    path("ws/jobs/<uuid:uid>/", consumers.JobConsumer.as_asgi()),
    path("ws/training/<uuid:uid>/", consumers.TrainingConsumer.as_asgi()),
]
