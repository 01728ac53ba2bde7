"""Practice pieces: melodies written by a CNN on piano rolls, engraved and rendered.

Their checkpoints live one folder down, in generator/weights/practice/, so the
generation registry (which lists generator/weights/*/) does not offer them as
audio models.
"""

from __future__ import annotations

from pathlib import Path

from generator.engine import checkpoints

WEIGHTS = checkpoints.WEIGHTS_DIR / "practice"


def load(arch: str, folder: Path | None = None) -> checkpoints.Checkpoint:
    """The shipped practice checkpoint of an architecture (cached per process)."""
    path = (folder or WEIGHTS) / arch
    if not (path / checkpoints.CONFIG).exists():
        raise checkpoints.CheckpointError(f"No {arch!r} checkpoint is installed at {path}.")
    return checkpoints.cached(path)
