from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GeneratorConfig(AppConfig):
    name = "generator"
    verbose_name = "Generator"

    def ready(self) -> None:
        from generator.registry import register_builtin_models

        post_migrate.connect(register_builtin_models, sender=self)
