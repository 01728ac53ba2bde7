"""Factories for job tests: clips from synthesised audio, and submitted jobs."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from generator.forms import GenerateForm
from generator.jobs import submit
from musicweb.library.ingest import ingest
from tests.conftest import real_recording, synth_tone


def make_clip(owner, tmp_path: Path, name: str = "trumpet", real: bool = True, **tone):
    """Ingest a clip for owner: the real trumpet loop by default, else a synthesised tone."""
    path = (
        real_recording("sorohanro_solo_trumpet.ogg")
        if real
        else synth_tone(tmp_path / f"{name}.wav", **tone)
    )
    return ingest(owner, SimpleUploadedFile(f"{name}{path.suffix}", path.read_bytes()))


def make_job(owner, clip, **fields):
    data = {
        "mode": "variation",
        "clip": str(clip.uid),
        "seconds": 1.5,
        "strength": 0.5,
        "seed": 7,
        **fields,
    }
    form = GenerateForm(owner, data)
    assert form.is_valid(), form.errors
    return submit(owner, form.cleaned_data)
