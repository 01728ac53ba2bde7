"""Factories for gallery and API tests: tracks with tiny real files, without the engine."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from musicweb.gallery.models import Track, track_folder

_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def _wav(seconds: float = 0.5, rate: int = 22_050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    sf.write(buffer, (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, format="WAV")
    return buffer.getvalue()


def make_track(owner, title: str = "Night drive", published: bool = True, **fields) -> Track:
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
    track.audio = default_storage.save(f"{folder}/track.wav", ContentFile(_wav()))
    track.spectrogram = default_storage.save(f"{folder}/spectrogram.png", ContentFile(_PNG))
    track.save()
    return track


async def answer_to_frame(communicator, frame: dict) -> tuple[dict, dict]:
    """Send one frame on an open socket; return the JSON answer and the output that follows."""
    await communicator.send_to(**frame)
    answer = await communicator.receive_json_from()
    after = await communicator.receive_output()
    await communicator.wait()
    return answer, after
