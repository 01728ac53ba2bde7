"""Slow down password guessing: a few failed log-ins per address and per account, then a pause.

Counts live in Django's cache (Redis at scale, so every web process shares them).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _keys(request, username: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "unknown")
    return [f"login-fail:ip:{address}", f"login-fail:user:{username.strip().lower()}"]


def is_locked(request, username: str) -> bool:
    return any(cache.get(key, 0) >= settings.LOGIN_ATTEMPTS for key in _keys(request, username))


def record_failure(request, username: str) -> None:
    for key in _keys(request, username):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def reset(request, username: str) -> None:
    cache.delete_many(_keys(request, username))
