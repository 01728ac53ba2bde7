from __future__ import annotations

from django.apps import AppConfig


class PracticeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "musicweb.practice"
    verbose_name = "Practice pieces"
