"""Environment for the test run, set before Django reads its settings (loaded with -p)."""

from __future__ import annotations

import os
import tempfile

# The suite talks plain HTTP to its own servers, and keeps its state out of the checkout.
os.environ.setdefault("HTTPS", "0")
# Always a fresh folder: test databases live there as files that worker processes share.
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="musicweb-test-")
os.makedirs(os.path.join(os.environ["VAR_DIR"], "static"), exist_ok=True)
