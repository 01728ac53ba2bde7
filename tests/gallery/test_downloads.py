"""Downloads in every format: encoded from the WAV master on first request, stored whole or
not at all, one copy however many first requests race, every copy gone with its track.
"""

from __future__ import annotations

import io
import threading
import urllib.request
from pathlib import Path

import pytest
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client

from generator.engine import audio
from musicweb.gallery.models import FORMATS, Track, track_folder
from tests.factories import make_track
from tests.full_disk import full_disk
from tests.library.helpers import media_files

DERIVED = [fmt for fmt in FORMATS if fmt != "wav"]


def _folder_files(settings, track: Track) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / track_folder(track)
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


def _long_track(owner, seconds: float, **fields) -> Track:
    """A track whose WAV master holds `seconds` of a chord."""
    import numpy as np

    track = make_track(owner, **fields)
    t = np.arange(int(seconds * audio.SAMPLE_RATE)) / audio.SAMPLE_RATE
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220, 277, 330)).astype(np.float32)
    name = track.audio.name
    default_storage.delete(name)
    default_storage.save(name, ContentFile(audio.encode(chord, "wav")))
    track.duration = seconds
    track.save()
    return track


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _frames(data: bytes) -> int:
    return sf.info(io.BytesIO(data)).frames


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", DERIVED)
def test_it_encodes_a_format_once_and_serves_the_stored_copy(client, alice, settings, fmt):
    track = make_track(alice)
    first = client.get(f"/tracks/{track.uid}/audio.{fmt}?download=1")
    assert first.status_code == 200
    assert first["Content-Type"] == audio.content_type(fmt)
    data = _body(first)
    assert sf.info(io.BytesIO(data)).duration == pytest.approx(0.5, abs=0.06)
    assert _folder_files(settings, track) == sorted(
        ["spectrogram.png", "track.wav", f"track.{fmt}"]
    )
    stored = Path(settings.MEDIA_ROOT) / track.format_name(fmt)
    again = client.get(f"/tracks/{track.uid}/audio.{fmt}")
    assert _body(again) == data == stored.read_bytes()


@pytest.mark.django_db
def test_it_encodes_again_over_a_zero_byte_copy(client, alice, settings):
    track = make_track(alice)
    default_storage.save(track.format_name("ogg"), ContentFile(b""))  # an old failed write
    response = client.get(f"/tracks/{track.uid}/audio.ogg")
    assert response.status_code == 200
    data = _body(response)
    assert int(response["Content-Length"]) == len(data) > 0
    assert _frames(data) == _frames(track.audio.open("rb").read())
    assert _folder_files(settings, track) == ["spectrogram.png", "track.ogg", "track.wav"]


@pytest.mark.django_db
@pytest.mark.parametrize("capacity", [0, 2_000])
def test_it_stores_no_partial_copy_when_the_disk_is_full(client, alice, settings, capacity):
    track = make_track(alice)
    before = _folder_files(settings, track)
    full_disk(settings, capacity)
    for _ in range(2):  # and never a 200 for what a failed write left
        response = client.get(f"/tracks/{track.uid}/audio.ogg?download=1")
        assert response.status_code == 507
        assert "storage is full" in response.content.decode()
        assert _folder_files(settings, track) == before
    full_disk(settings, 10_000_000)
    response = client.get(f"/tracks/{track.uid}/audio.ogg")
    assert response.status_code == 200 and _frames(_body(response)) > 0


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_complete_copy_when_first_downloads_race(alice, settings):
    track = _long_track(alice, seconds=20)
    expected = _frames(track.audio.open("rb").read())
    start = threading.Barrier(6)
    results: list[tuple[int, bytes]] = []

    def download() -> None:
        client = Client()
        start.wait()
        try:
            response = client.get(f"/tracks/{track.uid}/audio.ogg?download=1")
            results.append((response.status_code, _body(response)))
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=download) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in results] == [200] * 6
    assert all(_frames(body) == expected for _, body in results)
    assert _folder_files(settings, track) == ["spectrogram.png", "track.ogg", "track.wav"]


def _download_all(client, track) -> None:
    for fmt in FORMATS:
        assert client.get(f"/tracks/{track.uid}/audio.{fmt}").status_code == 200


def _leftovers(track) -> None:
    """What older code or a crash mid-write could have left in the folder."""
    folder = track_folder(track)
    default_storage.save(f"{folder}/track_AbC123x.ogg", ContentFile(b"OggS duplicate"))
    default_storage.save(f"{folder}/track.mp3.9f8e7d6c5b4a3921.part", ContentFile(b"ID3"))


@pytest.mark.django_db
def test_it_deletes_every_copy_with_its_track(
    client, alice, settings, django_capture_on_commit_callbacks
):
    track, other = make_track(alice), make_track(alice, "Other")
    _download_all(client, track)
    _leftovers(track)
    assert len(_folder_files(settings, track)) == 2 + len(DERIVED) + 2
    with django_capture_on_commit_callbacks(execute=True):
        track.delete()
    assert _folder_files(settings, track) == []
    assert _folder_files(settings, other) == ["spectrogram.png", "track.wav"]


@pytest.mark.django_db
def test_it_deletes_every_copy_with_the_account(
    client, alice, bob, settings, django_capture_on_commit_callbacks
):
    track, bobs = make_track(alice), make_track(bob)
    _download_all(client, track)
    _download_all(client, bobs)
    _leftovers(track)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/delete/", {"password": "pw-alice"})
    assert response.status_code == 302
    remaining = media_files(settings)
    assert remaining and all(f"/tracks/{bob.pk}/" in str(p) for p in remaining)
    assert len(remaining) == len(FORMATS) + 1


@pytest.mark.django_db
def test_it_removes_a_copy_finished_after_its_track_was_deleted(
    client, alice, settings, monkeypatch
):
    from musicweb import files

    track = make_track(alice)
    derive = files.derive

    def derive_while_the_owner_deletes(storage, name, write):
        Track.objects.filter(pk=track.pk).delete()  # the owner deletes it meanwhile
        derive(storage, name, write)

    monkeypatch.setattr(files, "derive", derive_while_the_owner_deletes)
    response = client.get(f"/tracks/{track.uid}/audio.flac")
    assert response.status_code == 404
    assert "track.flac" not in _folder_files(settings, track)


@pytest.mark.django_db
def test_it_derives_downloads_on_a_storage_without_local_paths(client, alice, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    track = make_track(alice)
    default_storage.save(track.format_name("mp3"), ContentFile(b""))  # an old failed write
    for fmt in ("flac", "mp3"):
        response = client.get(f"/tracks/{track.uid}/audio.{fmt}")
        assert response.status_code == 200 and _frames(_body(response)) > 0
    _, names = default_storage.listdir(track_folder(track))
    assert sorted(names) == ["spectrogram.png", "track.flac", "track.mp3", "track.wav"]
    assert default_storage.size(track.format_name("mp3")) > 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_it_serves_six_minute_downloads_from_a_real_server(alice, settings):
    """An anonymous visitor downloads every format of a 6-minute track; the server stays up."""
    from tests.stack import Stack

    track = _long_track(alice, seconds=360)
    stack = Stack()
    try:
        url = stack.start_web()
        for fmt in FORMATS:
            address = f"{url}/tracks/{track.uid}/audio.{fmt}?download=1"
            try:
                with urllib.request.urlopen(address, timeout=120) as response:
                    assert response.status == 200
                    data = response.read()
            except OSError as exc:
                pytest.fail(f"{fmt}: {exc}; the server said:\n{stack.log('web')}")
            info = sf.info(io.BytesIO(data))
            assert info.duration == pytest.approx(360, abs=0.1), fmt
        assert stack.web.poll() is None, stack.log("web")
    finally:
        stack.stop()
