"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings


def limits(request):
    """Expose upload limits so pages can show them before a user hits them."""
    return {
        "MAX_UPLOAD_MB": settings.MAX_UPLOAD_MB,
        "MAX_CLIP_SECONDS": settings.MAX_CLIP_SECONDS,
        "USER_QUOTA_MB": settings.USER_QUOTA_MB,
    }
