"""Site-wide request and response rules: no NUL characters in, nothing private cached out."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin

NUL = "\x00"
NUL_MESSAGE = "Text in a request may not contain NUL (0x00) characters."


class RefuseNulMiddleware(MiddlewareMixin):
    """A NUL character in the address or its query string is a 400, before any view runs.

    PostgreSQL refuses text containing NUL, so a search for one or a user name with one
    would otherwise end in a server error. Form and API fields already refuse NUL
    (Django's and DRF's CharField validators); a cookie holding one is dropped.
    """

    def process_request(self, request):
        for name in [name for name, value in request.COOKIES.items() if NUL in value]:
            del request.COOKIES[name]
        query = [text for key, values in request.GET.lists() for text in (key, *values)]
        if any(NUL in text for text in (request.path, *query)):
            if request.path.startswith("/api/"):
                body = {"error": {"code": "bad_request", "message": NUL_MESSAGE}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain")
        return None


class PrivateCacheMiddleware(MiddlewareMixin):
    """Responses made for a signed-in person stay theirs: no cache keeps them.

    Library, clip, job, profile and staff pages, the API's answers to a token, and even
    public pages as a signed-in person sees them (their name, their rating) are private.
    A view that chose its own caching (files served with `private, max-age`) keeps it.
    """

    def process_response(self, request, response):
        user = getattr(request, "user", None)  # DRF sets it here too, for token callers
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
