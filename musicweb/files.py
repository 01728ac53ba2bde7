"""Serve stored files through views that have already checked who may see them.

Supports single HTTP byte ranges so that audio players can seek.
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def serve(request, field_file, content_type: str, download_name: str | None = None):
    """Return the file (or the requested byte range) with caching suited to private files."""
    if not field_file:
        raise Http404("No such file.")
    storage = field_file.storage
    try:
        size = storage.size(field_file.name)
        handle = storage.open(field_file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such file.") from None

    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        start_text, end_text = match.groups()
        if start_text:
            start = int(start_text)
            end = min(int(end_text), size - 1) if end_text else size - 1
        else:
            start, end = max(size - int(end_text), 0), size - 1
        if start >= size or start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        body = handle.read(end - start + 1)
        handle.close()
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if download_name:
        response["Content-Disposition"] = content_disposition_header(True, download_name)
    return response
