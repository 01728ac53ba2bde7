"""Fixtures shared by the whole suite: users, media isolation, real and synthetic audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = REPO.parent / "shared" / "data" / "audio"


def real_recording(name: str) -> Path:
    """Path of one of the real recordings in ../shared/data/audio; skip if absent."""
    path = SHARED_AUDIO / name
    if not path.exists():
        pytest.skip(f"real recording {name} is not available")
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
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    tone *= 0.3 * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    data = np.stack([tone * (1 - 0.2 * c) for c in range(channels)], axis=1).astype(np.float32)
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
    """API rate counts and visitor page copies live in the cache: no test inherits them."""
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
def memory_layer(settings):
    """An in-process channel layer, for tests that watch messages without other processes."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def make_user(username: str = "alice", **kwargs):
    from django.contrib.auth import get_user_model

    kwargs.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, **kwargs
    )


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie", is_staff=True, is_superuser=True)
