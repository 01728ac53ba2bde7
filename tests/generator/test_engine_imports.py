"""The ML core runs without Django: the CLI, workers and scripts share it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_it_imports_the_ml_core_without_django():
    nets = sorted(
        p.stem for p in (REPO / "generator" / "nets").glob("*.py") if p.stem != "__init__"
    )
    modules = ["audio", "errors", "vocoder", "texture", "modes", *(f"nets.{n}" for n in nets)]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('generator.' + name)\n"
        "from generator import modes\n"
        "assert {'variation', 'style'} <= set(modes.MODES), modes.MODES\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
