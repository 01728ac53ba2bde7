"""The ML core runs without Django: the CLI, workers and scripts share it.

Every file under generator/engine/ is checked, not a hand-picked list, so a new
module cannot slip a Django import in unnoticed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "generator" / "engine"
FORBIDDEN = ("django", "rest_framework", "channels", "channels_redis", "daphne", "musicweb")


def engine_modules() -> list[str]:
    names = []
    for path in sorted(ENGINE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def imported_names(path: Path) -> list[str]:
    """Return every module a file imports, at the top or inside functions."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ".".join(path.relative_to(REPO).parent.parts[: 1 - node.level or None])
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            names.append(base)
            if node.module is None or base in ("generator", "generator.engine"):
                names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def is_forbidden(name: str) -> bool:
    top = name.split(".")[0]
    if top in FORBIDDEN:
        return True
    return top == "generator" and not (name == "generator" or name.startswith("generator.engine"))


def test_it_finds_every_engine_file():
    modules = engine_modules()
    assert "generator.engine.audio" in modules
    assert "generator.engine.nets.unet" in modules
    assert len(modules) == len(list(ENGINE.rglob("*.py")))


def test_it_imports_nothing_of_the_site_anywhere_in_the_engine():
    offenders = {
        str(path.relative_to(REPO)): bad
        for path in sorted(ENGINE.rglob("*.py"))
        if (bad := [name for name in imported_names(path) if is_forbidden(name)])
    }
    assert offenders == {}


def test_it_flags_a_site_import_when_one_is_there(tmp_path):
    probe = ENGINE / "_probe_for_test.py"
    probe.write_text("def f():\n    from generator.models import GenerationJob\n")
    try:
        assert [n for n in imported_names(probe) if is_forbidden(n)] == ["generator.models"]
    finally:
        probe.unlink()


def test_it_loads_every_engine_module_without_django():
    code = (
        "import importlib, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "from generator.engine import modes\n"
        "assert {'variation', 'style'} <= set(modes.MODES), modes.MODES\n"
        f"leaked = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
