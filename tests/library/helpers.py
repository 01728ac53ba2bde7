"""Upload helpers for library tests."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile


def upload_bytes(client, name: str, data: bytes, json: bool = True):
    """POST one file to the upload view the way the page's script does."""
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        "/library/upload/", {"files": SimpleUploadedFile(name, data)}, headers=headers
    )


def upload_path(client, path: Path, name: str | None = None, json: bool = True):
    return upload_bytes(client, name or path.name, path.read_bytes(), json=json)


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
