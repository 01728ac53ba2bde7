"""The suite's own promises: it carries its test audio, and the scale-out run is what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import soundfile as sf

from tests.conftest import REPO
from tests.factories import TEST_AUDIO


def test_it_carries_small_licensed_test_audio():
    readme = (TEST_AUDIO / "README.md").read_text()
    rows = {
        cells[1].strip(): cells
        for line in readme.splitlines()
        if (cells := line.split("|")) and len(cells) > 5 and cells[1].strip().endswith(".ogg")
    }
    files = sorted(TEST_AUDIO.glob("*.ogg"))
    assert {f.name for f in files} == set(rows), "every file has a row in README.md, and back"
    for name, cells in rows.items():
        assert re.search(r"Public Domain|CC BY \d", cells[-2]), f"{name} has no licence"
        assert sf.info(TEST_AUDIO / name).duration <= 21, f"{name} is more than an excerpt"
    # Five mono excerpts and one short 44.1 kHz stereo one (the full-band decoding tests).
    assert sum(f.stat().st_size for f in files) < 576 * 1024


def test_it_refuses_a_scaleout_run_off_postgresql_and_redis():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "scaleout"]
        + ["--collect-only", "-q", "tests/generator/test_consumers.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert "the scale-out run needs PostgreSQL and Redis" in result.stderr
    assert "not PostgreSQL (set DATABASE_URL)" in result.stderr
    assert "not Redis (set REDIS_URL)" in result.stderr
