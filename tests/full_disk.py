"""A real file-system storage that runs out of room, for tests of what a full disk leaves behind.

Configure it as the default storage through settings.STORAGES:
    {"BACKEND": "tests.full_disk.FullDiskStorage", "OPTIONS": {"capacity": 4096}}
It writes real files under MEDIA_ROOT, and once `capacity` bytes have been written
through it, the next write stops part way with OSError(ENOSPC), leaving the partial
file on disk exactly as a full disk does.
"""

from __future__ import annotations

import errno
import os

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    def __init__(self, capacity: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.capacity = capacity
        self.written = 0

    def _save(self, name, content):
        # A plain File wrapper: no temporary_file_path, so every byte goes through chunks().
        return super()._save(name, _Filling(content, self))


class _Filling(File):
    def __init__(self, content, storage: FullDiskStorage) -> None:
        super().__init__(content, getattr(content, "name", None))
        self._storage = storage

    def chunks(self, chunk_size=None):
        for chunk in self.file.chunks(chunk_size):
            room = self._storage.capacity - self._storage.written
            if len(chunk) > room:
                self._storage.written += max(room, 0)
                if room > 0:
                    yield chunk[:room]
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._storage.written += len(chunk)
            yield chunk


def full_disk(settings, capacity: int) -> None:
    """Make the default storage one with `capacity` bytes of room left."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.full_disk.FullDiskStorage",
            "OPTIONS": {"capacity": capacity},
        },
    }
