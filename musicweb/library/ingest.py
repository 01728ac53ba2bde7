"""Turn one uploaded file into a Clip, or refuse it having changed nothing.

The file is judged by decoding its content (never its name or declared type).
Decoding refuses a header past the accepted channels and rates before reading
any sample and holds a fixed budget of memory whatever the file declares
(generator.engine.audio). Derived files are computed in memory first; files are
written and the row created inside one transaction, each file recorded for
removal before its first byte is written, so a refused or failed upload (a full
disk included) leaves neither a row nor a file behind.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from generator.autotag import describe
from generator.engine import audio
from musicweb import files
from musicweb.library.derive import derive
from musicweb.library.models import Clip, clip_folder
from musicweb.tags import format_tags

log = logging.getLogger(__name__)

EXTENSIONS = {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "MP3": "mp3", "AIFF": "aiff"}


class UploadRejected(Exception):
    """An upload we refuse; the message is shown to the person next to the file.

    status is the HTTP status that fits: 400 for the file itself, 507 when the
    server has no room to store it.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def display_name(raw: str) -> str:
    """Keep the name as given (any script), minus control characters and folders."""
    name = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "untitled"


def _extension(decoded: audio.Decoded) -> str:
    if decoded.format == "OGG":
        return "opus" if decoded.subtype == "OPUS" else "ogg"
    return EXTENSIONS.get(decoded.format, decoded.format.lower())


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def ingest(owner, upload: UploadedFile) -> Clip:
    """Analyse and store one upload for owner; raise UploadRejected with a reason."""
    name = display_name(upload.name or "")
    if not upload.size:
        raise UploadRejected("The file is empty.")
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > max_bytes:
        raise UploadRejected(
            f"The file is {_megabytes(upload.size)}; the limit is {settings.MAX_UPLOAD_MB} MB."
        )
    _check_quota(owner, upload.size)
    try:
        decoded = audio.decode(upload, max_seconds=settings.MAX_CLIP_SECONDS)
    except audio.AudioError as exc:
        raise UploadRejected(str(exc)) from None
    derived = derive(decoded)
    labels, embedding = describe(derived.samples, derived.mel)  # the mel made once
    stored = upload.size + len(derived.analysis) + len(derived.spectrogram)

    clip = Clip(
        owner=owner,
        title=PurePath(name).stem[:200] or name[:200],
        tags=format_tags(labels),
        embedding=embedding,
        original_name=name,
        peaks=derived.peaks,
        analysis_version=derived.version,
        format=decoded.format,
        subtype=decoded.subtype,
        duration=round(decoded.duration, 3),
        sample_rate=decoded.sample_rate,
        channels=decoded.channels,
        stored_bytes=stored,
    )
    folder = clip_folder(clip)
    try:
        with files.all_or_nothing(default_storage) as save, transaction.atomic():
            # Lock the owner's row so concurrent uploads cannot both slip under the quota.
            locked_owner = get_user_model().objects.select_for_update().get(pk=owner.pk)
            _check_quota(locked_owner, stored)
            upload.seek(0)
            for field, filename, content in (
                ("original", f"original.{_extension(decoded)}", upload),
                ("analysis", "analysis.flac", ContentFile(derived.analysis)),
                ("spectrogram", "spectrogram.png", ContentFile(derived.spectrogram)),
            ):
                setattr(clip, field, save(f"{folder}/{filename}", content))
            clip.save()
    except files.StorageFull as exc:
        log.error("storage full: upload of %s for user %s refused", name, owner.pk)
        raise UploadRejected(str(exc), status=507) from None
    log.info("clip %s stored for user %s (%.1f s)", clip.uid, owner.pk, clip.duration)
    return clip


def _check_quota(owner, incoming: int) -> None:
    used = Clip.objects.owned_by(owner).stored_bytes()
    quota = owner.quota_bytes
    if used + incoming > quota:
        raise UploadRejected(
            f"This would take you past your storage quota ({_megabytes(used)} of "
            f"{_megabytes(quota)} used). Delete some clips first."
        )
