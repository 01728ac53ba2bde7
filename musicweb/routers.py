"""Keep the embedded channel layer's tables in their own SQLite file.

Progress messages are written many times a second; on a separate WAL file they
never contend with the site's own writes.
"""

from __future__ import annotations

from django.conf import settings

CHANNEL_APP = "channels_lite"


class ChannelLayerRouter:
    def _alias(self) -> str:
        return "channels" if "channels" in settings.DATABASES else "default"

    def db_for_read(self, model, **hints):
        return self._alias() if model._meta.app_label == CHANNEL_APP else None

    def db_for_write(self, model, **hints):
        return self._alias() if model._meta.app_label == CHANNEL_APP else None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if "channels" not in settings.DATABASES:
            return None
        if app_label == CHANNEL_APP:
            return db == "channels"
        return db == "default"
