"""Tags and "more like this" embeddings from the default tagger, for clips and tracks.

Tagging is a convenience: when no tagger is installed, or it fails, uploads
and jobs go on without tags rather than failing.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

MAX_TAGS = 3


def describe(samples: np.ndarray, mel=None) -> tuple[list[str], list[float]]:
    """Likely labels (most likely first) and the unit-length embedding of 44.1 kHz audio.

    ``samples``: float32[T] or float32[2, T] (the tagger hears the mid). One pass
    of the tagger gives both; ``mel`` is ``audio.log_mel`` of the mono mix if the
    caller has already computed it (for the spectrogram picture).
    """
    try:
        from generator.engine import tagging

        analysis = tagging.analyse(samples, mel=mel)
    except Exception:
        log.warning("tagging failed; going on without tags", exc_info=True)
        return [], []
    labels = [label for label, _ in analysis.shown[:MAX_TAGS] if label != "not_music"]
    return labels, [round(float(x), 5) for x in analysis.embedding]
