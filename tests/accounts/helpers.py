"""Helpers for log-in tests: let time pass for the throttle without waiting for it."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.db.models import F


def age_failures(seconds: float) -> None:
    """Make every recorded failed log-in `seconds` older, as if that much time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=seconds))


def let_the_pause_pass(settings) -> None:
    age_failures(settings.LOGIN_LOCKOUT_SECONDS + 1)
