"""People who use musicweb; a password change revokes their API token."""

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

    def save(self, *args, **kwargs) -> None:
        # set_password() leaves the new raw password in _password until the save; Django
        # clears it for mere hash upgrades, so this is a real change (or a reset).
        password_changed = self.pk is not None and self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            self.revoke_api_tokens()

    def revoke_api_tokens(self) -> int:
        """Delete the API token: one made before a password change must not outlive it."""
        from rest_framework.authtoken.models import Token

        deleted, _ = Token.objects.filter(user=self).delete()
        return deleted

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def quota_bytes(self) -> int:
        return (self.quota_mb or settings.USER_QUOTA_MB) * 1024 * 1024
