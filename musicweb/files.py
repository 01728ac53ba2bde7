"""Write stored files whole or not at all, and serve them through views that check access.

Writes are arranged so that a failure (a full disk, a crash, two writers at once)
never leaves a stray or partial file behind, and a full disk says so in words.
Serving supports single HTTP byte ranges so that audio players can seek.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_FULL = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(Exception):
    """The storage has no room left; the message is meant for the user."""

    def __init__(self) -> None:
        super().__init__(
            "The server's storage is full, so nothing was saved. Please try again later."
        )


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, StorageFull) or (isinstance(exc, OSError) and exc.errno in _FULL)


@contextmanager
def all_or_nothing(storage: Storage) -> Iterator[Callable[[str, File], str]]:
    """Give a save(name, content) under which either every file saved stays or none does.

    Each name is recorded before its first byte is written, so a write that fails half
    way (a full disk) is removed as well as the files saved before it. Wrap the database
    transaction that refers to the files, so a failed commit removes them too. A full
    storage comes out as StorageFull.
    """
    written: list[str] = []

    def save(name: str, content: File) -> str:
        name = storage.get_available_name(name)
        written.append(name)
        saved = storage.save(name, content)
        if saved != name:  # another writer took the name between the two calls
            written.append(saved)
        return saved

    try:
        yield save
    except BaseException as exc:
        for name in written:
            with suppress(OSError):
                storage.delete(name)
        if is_full(exc) and not isinstance(exc, StorageFull):
            raise StorageFull() from exc
        raise


def derive(storage: Storage, name: str, write: Callable[[BinaryIO], None]) -> None:
    """Store at name what write(file) produces: the whole file, or nothing.

    write() fills a local temporary file. On a file-system storage that is saved
    beside the final name and renamed over it, so readers only ever see a complete
    file and concurrent writers leave one copy (the last rename wins). Other storages
    (object stores) publish an upload whole, so there it is saved directly and a copy
    that lost a race to the same name is deleted.
    """
    try:
        with tempfile.TemporaryFile() as scratch:
            write(scratch)
            # Encoders seek back to finish their headers: measure the end, not the position.
            if scratch.seek(0, os.SEEK_END) == 0:
                raise ValueError(f"nothing was produced for {name}")
            scratch.seek(0)
            content = File(scratch, name=os.path.basename(name))
            with all_or_nothing(storage) as save:
                if isinstance(storage, FileSystemStorage):
                    partial = save(f"{name}.{secrets.token_hex(8)}.part", content)
                    os.replace(storage.path(partial), storage.path(name))
                else:
                    if not is_complete(storage, name):
                        storage.delete(name)  # a failed write of old, never to be served
                    saved = save(name, content)
                    if saved != name:
                        storage.delete(saved)
    except OSError as exc:
        if is_full(exc):
            raise StorageFull() from exc
        raise


def is_complete(storage: Storage, name: str) -> bool:
    """Whether name exists with some content (a 0-byte file is a failed write, never served)."""
    try:
        return storage.exists(name) and storage.size(name) > 0
    except OSError:
        return False


def delete_folder(storage: Storage, folder: str) -> None:
    """Delete every file under folder: derived copies and leftovers of interrupted writes too."""
    try:
        folders, names = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in names:
        with suppress(OSError):
            storage.delete(f"{folder}/{name}")
    for sub in folders:
        delete_folder(storage, f"{folder}/{sub}")


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
