"""The generation engine (plain Python + torch) and its Django app."""

import os

# Make OpenMP threads sleep rather than spin while they wait. On a shared
# 2-core machine spinning threads starve each other and the engine ran 3 to 5
# times slower (docs/performance.md). Takes effect only if torch has not been
# imported yet; Django imports this package at start-up, before any torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
