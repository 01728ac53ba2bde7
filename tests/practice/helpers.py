"""Make practice pieces for tests: real writing, engraving and rendering, kept short."""

from __future__ import annotations

from musicweb.practice.models import PracticePiece


def make_piece(owner, **kwargs) -> PracticePiece:
    options = {"instrument": "violin", "style": "folk", "level": 2, "bars": 2, "seed": 1}
    return PracticePiece.make(owner, **{**options, **kwargs})
