"""A clip's derived files, made from its original: one recipe for uploads and re-derivation.

An upload (library/ingest.py) and ``manage.py rederive_clips`` both call
``derive``, so a re-derived clip is exactly what a fresh upload of the same
original would give. ``rederive`` replaces a stored clip's derived files
without a moment where the row points at a missing or half-written file: the
new files are written under new names first, the row is switched to them in
one transaction, and only then are the old ones removed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction

from generator.engine import audio
from musicweb.library.models import Clip, clip_folder

log = logging.getLogger(__name__)

# 1: mono 22,050 Hz (the first release); 2: 44,100 Hz, stereo kept, 160-band spectrogram.
ANALYSIS_VERSION = 2
_DERIVED = (("analysis", ".flac"), ("spectrogram", ".png"))


@dataclass(frozen=True)
class Derived:
    """What a clip stores beside its original."""

    samples: np.ndarray  # what the modes read: float32[T] or [2, T] at audio.SAMPLE_RATE
    analysis: bytes  # FLAC of ``samples``
    spectrogram: bytes  # PNG
    peaks: list[float]
    mel: Any  # Tensor[n_mels, frames]: the mono mix's log-mel, made once for picture and tagger
    version: int = ANALYSIS_VERSION


def derive(decoded: audio.Decoded) -> Derived:
    """Analysis copy (full band, stereo kept), spectrogram image and waveform peaks."""
    samples = audio.prepare(decoded, stereo=True)
    mel = audio.log_mel(audio.to_mono(samples))
    spectrogram = audio.spectrogram_png(mel.numpy())
    return Derived(
        samples, audio.encode(samples, "flac"), spectrogram, audio.waveform_peaks(samples), mel
    )


class Unusable(Exception):
    """A clip that cannot be re-derived; the message says why, for the operator."""


def rederive(clip: Clip) -> bool:
    """Re-derive one clip's files from its original; False if it changed or went meanwhile.

    Raises Unusable when the original is missing or cannot be decoded; the
    clip then keeps the files it had.
    """
    storage = clip.original.storage
    remove_leftovers(clip)
    try:
        handle = storage.open(clip.original.name, "rb")
    except OSError:
        raise Unusable("its original file is missing") from None
    with handle:
        try:
            # The original was accepted at this length; a file that now claims more is refused.
            decoded = audio.decode(handle, max_seconds=clip.duration + 1.0)
        except audio.AudioError as exc:
            raise Unusable(f"its original cannot be decoded: {exc}") from None
    derived = derive(decoded)
    token = secrets.token_hex(4)
    folder = clip_folder(clip)
    written = []
    try:
        for field, suffix in _DERIVED:
            content = ContentFile(getattr(derived, field))
            written.append(storage.save(f"{folder}/{field}-{token}{suffix}", content))
        with transaction.atomic():
            row = Clip.objects.select_for_update().filter(pk=clip.pk).first()
            if row is None or row.analysis.name != clip.analysis.name:
                raise _Changed
            old = [row.analysis.name, row.spectrogram.name]
            row.analysis, row.spectrogram = written
            row.peaks = derived.peaks
            row.analysis_version = derived.version
            row.stored_bytes = storage.size(row.original.name) + sum(
                len(getattr(derived, field)) for field, _ in _DERIVED
            )
            row.save(
                update_fields=[
                    "analysis",
                    "spectrogram",
                    "peaks",
                    "analysis_version",
                    "stored_bytes",
                ]
            )
            transaction.on_commit(lambda: _delete(storage, [n for n in old if n not in written]))
    except _Changed:
        _delete(storage, written)
        return False
    except BaseException:
        _delete(storage, written)
        raise
    return True


class _Changed(Exception):
    pass


def _delete(storage, names: list[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)


def remove_leftovers(clip: Clip) -> list[str]:
    """Delete derived files in the clip's folder that its row does not point at.

    They are what a run killed between writing new files and switching the row
    (or between the switch and removing the old files) leaves behind.
    """
    storage = clip.original.storage
    folder = clip_folder(clip)
    try:
        _, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return []
    keep = {clip.original.name, clip.analysis.name, clip.spectrogram.name}
    stale = [
        f"{folder}/{name}"
        for name in files
        if any(name.startswith(field) and name.endswith(sfx) for field, sfx in _DERIVED)
        and f"{folder}/{name}" not in keep
    ]
    _delete(storage, stale)
    return stale
