"""People who use musicweb."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField(
        max_length=60,
        blank=True,
        help_text="Shown on your tracks and profile instead of your username.",
    )
    quota_mb = models.PositiveIntegerField(
        null=True, blank=True, help_text="Storage quota in MB; empty means the site's default."
    )

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def quota_bytes(self) -> int:
        return (self.quota_mb or settings.USER_QUOTA_MB) * 1024 * 1024
