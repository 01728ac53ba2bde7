"""Fixtures shared by the whole suite: users, media isolation, the test audio, scale-out checks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.factories import TEST_AUDIO, make_user, tone

REPO = Path(__file__).resolve().parent.parent


def real_recording(name: str) -> Path:
    """Path of one of the real recordings' excerpts committed in tests/data/audio.

    A missing file is a broken checkout, not a reason to skip: the test fails.
    """
    path = TEST_AUDIO / name
    if not path.is_file():
        pytest.fail(f"test audio {name} is missing from {TEST_AUDIO} (see its README.md)")
    return path


def synth_tone(
    path: Path,
    seconds: float = 2.0,
    sample_rate: int = 22_050,
    channels: int = 1,
    freq: float = 440.0,
    fmt: str = "WAV",
    subtype: str | None = None,
) -> Path:
    """Write a short chord-like tone with a gentle envelope; returns the path."""
    mono = tone(seconds, freq, sample_rate)
    data = np.stack([mono * (1 - 0.2 * c) for c in range(channels)], axis=1)
    sf.write(path, data, sample_rate, format=fmt, subtype=subtype)
    return path


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Keep SQLite test databases as files, so worker and server processes can share them."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"].endswith("sqlite3"):
            db.setdefault("TEST", {})["NAME"] = str(db["NAME"])


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Log-in locks, API throttles, visitor page copies and the trending mark live in the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def memory_layer(settings, request):
    """An in-process channel layer, for tests that watch messages without other processes.

    Scale-out tests must go through the configured layer (Redis in the scale-out run).
    """
    if request.node.get_closest_marker("scaleout"):
        pytest.fail("a scaleout test must use the configured channel layer, not memory_layer")
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie", is_staff=True, is_superuser=True)


# The scale-out run (`pytest -m scaleout`, see the Makefile) exists to prove the queue,
# socket and worker paths on PostgreSQL and Redis; on anything else it would prove nothing.


def _is_scaleout_run(config: pytest.Config) -> bool:
    """Whether -m selects the scale-out tests (``scaleout``, ``scaleout and not slow``...)."""
    return re.search(r"(?<!not )\bscaleout\b", config.getoption("markexpr") or "") is not None


def _scaleout_problems() -> list[str]:
    from django.conf import settings
    from django.db import connection

    problems = []
    if connection.vendor != "postgresql":
        problems.append(f"the database is {connection.vendor}, not PostgreSQL (set DATABASE_URL)")
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if not backend.startswith("channels_redis."):
        problems.append(f"the channel layer is {backend}, not Redis (set REDIS_URL)")
    return problems


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _is_scaleout_run(config) and (problems := _scaleout_problems()):
        raise pytest.UsageError(
            "the scale-out run needs PostgreSQL and Redis: " + "; ".join(problems)
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """In the scale-out run, fail a scaleout test that swapped in another database or layer."""
    checked = _is_scaleout_run(item.config) and item.get_closest_marker("scaleout") is not None
    if checked and (problems := _scaleout_problems()):
        pytest.fail("scale-out test set up off PostgreSQL/Redis: " + "; ".join(problems))
    result = yield
    if checked and (problems := _scaleout_problems()):
        pytest.fail("scale-out test ran off PostgreSQL/Redis: " + "; ".join(problems))
    return result
