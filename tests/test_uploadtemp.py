"""A killed process's spooled upload files are removed when a web process starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from musicweb.uploadtemp import process_key, sweep_upload_folders
from tests.conftest import REPO

# A process that receives an upload the way Django does (a named temporary file in
# FILE_UPLOAD_TEMP_DIR), says where, and waits to be killed in the middle of it.
RECEIVER = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "musicweb.settings"
django.setup()
from django.core.files.uploadedfile import TemporaryUploadedFile
upload = TemporaryUploadedFile("song.wav", "audio/wav", 0, None)
upload.write(b"RIFF" + bytes(100_000))
upload.flush()
print(upload.temporary_file_path(), flush=True)
time.sleep(120)
"""


def _receiver() -> tuple[subprocess.Popen, Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", RECEIVER], cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE
    )
    path = Path(process.stdout.readline().decode().strip())
    assert path.is_file(), path
    return process, path


def test_it_removes_the_upload_files_of_a_killed_process_and_keeps_the_living():
    killed, left_behind = _receiver()
    living, in_use = _receiver()
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert left_behind.is_file()  # nothing else removes it

        removed = sweep_upload_folders()

        assert left_behind.parent in removed and not left_behind.parent.exists()
        assert in_use.is_file(), "a living process's upload was removed"
        assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()  # this process's own folder stays
    finally:
        living.kill()
        living.wait(timeout=10)
    assert in_use.parent in sweep_upload_folders()


def test_it_tells_a_reused_pid_from_its_dead_owner(tmp_path):
    # Same pid as this living process, another start time: the folder of a dead process.
    stale = tmp_path / f"{os.getpid()}-1"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "half.upload").write_bytes(b"x")
    own = tmp_path / process_key(os.getpid())
    own.mkdir()
    stray = tmp_path / "not-a-process"
    stray.write_text("x")

    assert sorted(sweep_upload_folders(tmp_path)) == sorted([stale, stray])
    assert own.is_dir() and not stale.exists() and not stray.exists()


def test_it_sweeps_nothing_when_there_is_no_folder(tmp_path):
    assert sweep_upload_folders(tmp_path / "missing") == []
