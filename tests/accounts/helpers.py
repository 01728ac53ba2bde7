"""Helpers for account tests: change a password; let the log-in throttle's time pass."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.db.models import F


def age_failures(seconds: float) -> None:
    """Make every recorded failed log-in `seconds` older, as if that much time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


def let_the_pause_pass(settings) -> None:
    age_failures(settings.LOGIN_LOCKOUT_SECONDS + 1)


def change_password(client, old: str, new: str):
    return client.post(
        "/accounts/password/change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )
