"""Factories for the whole suite: people, clips, jobs and tracks.

Clips are cheap by default: their files are written straight to storage (the
analysis copy a worker reads, peaks, a one-pixel spectrogram) and the row is
saved, with no decoding of an upload, no tagger and no rendering. A test about
ingest itself asks for the real thing with ``ingest_clip`` or ``make_clip(full=True)``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from generator.forms import GenerateForm
from generator.jobs import submit
from generator.models import GenerationJob
from musicweb.gallery.models import Track, track_folder
from musicweb.library.models import Clip, clip_folder

TEST_AUDIO = Path(__file__).resolve().parent / "data" / "audio"
TRUMPET = "sorohanro_solo_trumpet.ogg"
SAMPLE_RATE = 22_050

# A valid one-pixel PNG: pages and file views need an image, not a rendering.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def tone(seconds: float = 2.0, freq: float = 440.0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A chord-like tone with a gentle tremolo: float32[T], mono."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    signal = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return (0.3 * signal * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))).astype(np.float32)


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def make_user(username: str = "alice", **kwargs):
    from django.contrib.auth import get_user_model

    kwargs.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, **kwargs
    )


@lru_cache(maxsize=1)
def _trumpet() -> tuple[bytes, np.ndarray]:
    """The committed trumpet loop's bytes, and its analysis signal as an upload would make it."""
    from generator.engine import audio

    data = (TEST_AUDIO / TRUMPET).read_bytes()
    return data, audio.load(io.BytesIO(data))


def make_clip(
    owner,
    title: str = "trumpet",
    *,
    samples: np.ndarray | None = None,
    full: bool = False,
    **fields,
) -> Clip:
    """Store a clip for owner: the real trumpet loop, or ``samples`` (mono, 22,050 Hz) if given.

    The analysis copy is what the ingest would write (the signal loudness-normalised,
    as FLAC), so jobs run on it exactly as on an uploaded clip. ``full=True`` runs the
    real ingest instead (decoding, tagging, spectrogram), for tests about ingest.
    """
    from generator.engine import audio

    if full:
        assert not fields, "the ingest decides every field of a fully ingested clip"
        if samples is None:
            return ingest_clip(owner, (TEST_AUDIO / TRUMPET).read_bytes(), f"{title}.ogg")
        return ingest_clip(owner, wav_bytes(samples), f"{title}.wav")
    if samples is None:
        original, prepared = _trumpet()
        fmt, subtype, suffix = "OGG", "VORBIS", "ogg"
    else:
        prepared = audio.loudness_normalise(np.asarray(samples, dtype=np.float32))
        original, fmt, subtype, suffix = wav_bytes(samples), "WAV", "PCM_16", "wav"
    analysis = audio.encode(prepared, "flac")
    clip = Clip(
        owner=owner,
        title=title,
        original_name=fields.pop("original_name", f"{title}.{suffix}"),
        format=fmt,
        subtype=subtype,
        duration=round(len(prepared) / SAMPLE_RATE, 3),
        sample_rate=SAMPLE_RATE,
        channels=1,
        peaks=audio.waveform_peaks(prepared),
        stored_bytes=len(original) + len(analysis) + len(PNG),
        **fields,
    )
    folder = clip_folder(clip)
    clip.original = default_storage.save(f"{folder}/original.{suffix}", ContentFile(original))
    clip.analysis = default_storage.save(f"{folder}/analysis.flac", ContentFile(analysis))
    clip.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(PNG))
    clip.save()
    return clip


def ingest_clip(owner, data: bytes | Path, name: str) -> Clip:
    """Run the real ingest on a file's bytes, as an upload named ``name``."""
    from musicweb.library.ingest import ingest

    content = data.read_bytes() if isinstance(data, Path) else data
    return ingest(owner, SimpleUploadedFile(name, content))


def make_job(owner, clip: Clip | None, **fields) -> GenerationJob:
    """Submit a generation job for owner through the Generate form, as the page does.

    Fields the form knows (mode, clip2, seconds, strength, steps, seed, title...) go
    through it; any others (error, source_names...) are then written to the row, for
    a job in a state that no request makes.
    """
    form_fields = {k: v for k, v in fields.items() if k in GenerateForm.base_fields}
    row_fields = {k: v for k, v in fields.items() if k not in form_fields}
    data = {"mode": "variation", "seconds": 1.5, "strength": 0.5, "seed": 7, **form_fields}
    data["clip"] = clip
    for key, value in data.items():
        if isinstance(value, Clip):
            data[key] = str(value.uid)
        elif hasattr(value, "pk"):
            data[key] = value.pk
    form = GenerateForm(owner, {k: v for k, v in data.items() if v is not None})
    assert form.is_valid(), form.errors
    job = submit(owner, form.cleaned_data)
    if row_fields:
        GenerationJob.objects.filter(pk=job.pk).update(**row_fields)
        job.refresh_from_db()
    return job


def make_track(owner, title: str = "Night drive", published: bool = True, **fields) -> Track:
    """A track with tiny real files (half a second of WAV, a one-pixel image), no engine."""
    from django.utils import timezone

    track = Track(
        owner=owner,
        title=title,
        mode=fields.pop("mode", "variation"),
        recipe=fields.pop(
            "recipe",
            {
                "mode": "variation",
                "model": "texture v1",
                "model_version_id": None,
                "seed": 7,
                "seconds": 0.5,
                "strength": 0.5,
                "steps": None,
                "sources": ["trumpet"],
            },
        ),
        peaks=[0.1, 0.5, 0.3],
        duration=0.5,
        published=published,
        published_at=timezone.now() if published else None,
        **fields,
    )
    folder = track_folder(track)
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    sine = wav_bytes((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    track.audio = default_storage.save(f"{folder}/track.wav", ContentFile(sine))
    track.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(PNG))
    track.save()
    return track
