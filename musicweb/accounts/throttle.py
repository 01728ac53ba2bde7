"""Slow down password guessing on every way in: the log-in page, the API token and the admin.

django-axes counts failed log-ins in the database (so every web process shares
the counts) through Django's authentication signals, which all three paths go
through. This module is its configuration:

- An address gets LOGIN_ATTEMPTS failures (whatever names it tries), then it is
  refused for LOGIN_LOCKOUT_SECONDS. This is the lock that stops one guesser.
- An account is never locked outright, since anyone who knows its name could
  then keep its owner out. After LOGIN_ATTEMPTS failures against it (from
  anywhere), it waits LOGIN_ACCOUNT_DELAY_SECONDS after each further failure,
  twice as long each time, up to LOGIN_LOCKOUT_SECONDS: guessing spread over
  many addresses is slowed to a trickle, while the owner waits seconds, not
  minutes. An address the owner has logged in from before does not wait at all.
- Tries refused while locked are not counted, so hammering a lock does not
  extend it, and a success forgets only that account's failures from that
  address (logging in to one's own account does not wipe one's guesses at others).
"""

from __future__ import annotations

import math
from datetime import timedelta

from asgiref.sync import sync_to_async
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_response
from axes.middleware import AxesMiddleware
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone


def failure_limit(request, credentials=None) -> int:
    return settings.LOGIN_ATTEMPTS


def cool_off(request=None) -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def _now(request) -> timezone.datetime:
    return getattr(request, "axes_attempt_time", None) or timezone.now()


def address_wait(request) -> float:
    """Seconds until this address may try again (0 when it may now)."""
    window_start = _now(request) - cool_off()
    failures = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=window_start
    ).aggregate(count=Sum("failures_since_start"), last=Max("attempt_time"))
    if (failures["count"] or 0) < settings.LOGIN_ATTEMPTS:
        return 0.0
    return max(0.0, (failures["last"] + cool_off() - _now(request)).total_seconds())


def account_wait(request, username: str | None) -> float:
    """Seconds this address must wait before trying this account again (0 when it may now)."""
    if not username:
        return 0.0
    known = AccessLog.objects.filter(username=username, ip_address=request.axes_ip_address)
    if known.exists():
        return 0.0
    now = _now(request)
    failures = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=now - cool_off()
    ).aggregate(count=Sum("failures_since_start"), last=Max("attempt_time"))
    beyond = (failures["count"] or 0) - settings.LOGIN_ATTEMPTS
    if beyond < 0:
        return 0.0
    delay = min(
        settings.LOGIN_LOCKOUT_SECONDS, settings.LOGIN_ACCOUNT_DELAY_SECONDS * 2 ** min(beyond, 30)
    )
    return max(0.0, (failures["last"] + timedelta(seconds=delay) - now).total_seconds())


def retry_after(request, credentials=None) -> int:
    """Whole seconds until the next try may be made, for messages and Retry-After."""
    username = get_client_username(request, credentials)
    wait = max(address_wait(request), account_wait(request, username))
    return max(1, math.ceil(wait))


def wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class LoginThrottle(AxesDatabaseHandler):
    """Axes's database handler with the gentler account rule above."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return account_wait(request, get_client_username(request, credentials)) > 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        refused = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not refused:
            # The password was checked and wrong: answer that, and refuse from the next try.
            request.axes_locked_out = False

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(
            username=user.get_username(), ip_address=request.axes_ip_address
        ).delete()


def lockout_response(request, original_response=None, credentials=None):
    """429 with the wait: the log-in form again (page or admin), or the API's error body."""
    seconds = retry_after(request, credentials)
    message = f"Too many failed log-ins. Please wait {wait_text(seconds)} and try again."
    form = None
    if isinstance(original_response, TemplateResponse) and original_response.context_data:
        form = original_response.context_data.get("form")
    if form is None:
        response = JsonResponse({"error": {"code": "throttled", "message": message}}, status=429)
    else:
        form.errors.clear()
        form.add_error(None, message)
        original_response.content = original_response.rendered_content
        original_response.status_code = 429
        response = original_response
    response["Retry-After"] = str(seconds)
    return response


class LockoutMiddleware(AxesMiddleware):
    """Axes's middleware, whose async path (the one daphne takes) passes the credentials
    where the view's response belongs (axes 8.3), so a locked-out log-in page would
    lose its form; this path hands the response over as the sync path does."""

    async def __acall__(self, request):
        response = await self.get_response(request)
        if settings.AXES_ENABLED and getattr(request, "axes_locked_out", None):
            credentials = getattr(request, "axes_credentials", None)
            response = await sync_to_async(get_lockout_response, thread_sensitive=True)(
                request, response, credentials
            )
        return response
