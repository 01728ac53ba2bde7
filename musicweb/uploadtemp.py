"""Keep each process's upload files in a folder of its own; remove the folders of dead processes.

Django writes an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a named
temporary file in FILE_UPLOAD_TEMP_DIR and deletes it when the request ends,
which a process killed mid-request (kill -9, the OOM killer) never does. So
every process spools into VAR_DIR/uploads/<pid>-<start time>/, and each web
process that starts removes the folders whose process is gone. The start time
(from /proc, Linux) tells a living process from a dead one whose pid was reused.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def process_key(pid: int) -> str | None:
    """Name a process by its pid and start time: '<pid>-<ticks since boot>'; None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may itself hold spaces and parentheses;
    # the start time is field 22 of the line, the 20th after the name.
    return f"{pid}-{stat.rsplit(')', 1)[1].split()[19]}"


def upload_folder(root: Path) -> Path:
    """Create (if need be) and return this process's own upload folder under root."""
    folder = root / (process_key(os.getpid()) or str(os.getpid()))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep_upload_folders(root: Path | None = None) -> list[Path]:
    """Remove the upload folders of processes that no longer run; return what was removed."""
    if root is None:
        from django.conf import settings

        root = Path(settings.FILE_UPLOAD_TEMP_DIR).parent
    if not root.is_dir():
        return []
    removed = []
    for folder in root.iterdir():
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and process_key(int(pid)) == folder.name:
            continue
        files = sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 1
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            folder.unlink(missing_ok=True)
        log.info("removed %s upload file(s) of a process that is gone (%s)", files, folder.name)
        removed.append(folder)
    return removed
