"""bfloat16 where this CPU computes it natively, and only there.

On CPUs with AVX512-BF16 or AMX, oneDNN runs bf16 convolutions and matrix
products about twice as fast as float32; elsewhere bf16 is emulated and slower.
Callers wrap only the measured hot spots whose quality survives it
(docs/performance.md has the figures). No Django imports.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch


@lru_cache(maxsize=1)
def bf16_is_fast() -> bool:
    """True when the CPU has native bf16 arithmetic (Linux flags avx512_bf16 or amx_bf16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast(enabled: bool = True) -> torch.autocast:
    """torch.autocast to bf16 on the CPU when ``enabled`` and the CPU does it natively."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled and bf16_is_fast())
