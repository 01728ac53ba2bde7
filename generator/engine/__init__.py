"""The ML core: audio front end, vocoder, networks, modes, training and evaluation.

Plain Python and torch; nothing here imports Django, DRF, Channels or the rest of the
site, so the CLI, the workers and the tests share it (tests/generator/test_engine_imports.py).
"""
