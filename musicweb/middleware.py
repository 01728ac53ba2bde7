"""Responses made for a signed-in person stay theirs: no cache keeps them.

Library, clip, job, profile and staff pages, the API's answers to a token, and even
public pages as a signed-in person sees them (their name, their rating) are private.
A view that chose its own caching (files served with `private, max-age`) keeps it.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin


class PrivateCacheMiddleware(MiddlewareMixin):
    def process_response(self, request, response):
        user = getattr(request, "user", None)  # DRF sets it here too, for token callers
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
