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


def write_silence(path: Path, rate: int, channels: int, seconds: float, **kwargs) -> Path:
    """Write `seconds` of silence a second at a time; silence keeps a bomb a few hundred kB."""
    import numpy as np
    import soundfile as sf

    block = np.zeros((rate, channels), dtype=np.int16 if path.suffix == ".flac" else np.float32)
    with sf.SoundFile(path, "w", samplerate=rate, channels=channels, **kwargs) as f:
        whole, rest = divmod(seconds, 1)
        for _ in range(int(whole)):
            f.write(block)
        f.write(block[: int(rest * rate)])
    return path


def flac_bomb(tmp_path_factory) -> Path:
    """8 channels at 655,350 Hz for 90 s: 0.5 MB on disk, 15 GB as float32; one per test run."""
    path = tmp_path_factory.getbasetemp() / "flac-bomb.flac"
    if not path.exists():
        partial = path.with_suffix(".partial.flac")
        write_silence(partial, 655_350, 8, 90, format="FLAC", subtype="PCM_16")
        partial.rename(path)
    return path


def vorbis_bomb(tmp_path: Path) -> Path:
    """64 channels of Vorbis: more than any upload may declare."""
    return write_silence(tmp_path / "bomb.ogg", 48_000, 64, 1, format="OGG", subtype="VORBIS")
