"""The library pages: list, search, sort, clip page, rename, tag, delete, files."""

from __future__ import annotations

import pytest

from musicweb.library.models import Clip
from tests.conftest import synth_tone
from tests.library.helpers import media_files, upload_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_clips(client, alice, tmp_path):
    client.force_login(alice)
    for name, seconds in (("piano loop", 1.0), ("drum break", 3.0), ("cello", 2.0)):
        path = synth_tone(tmp_path / f"{name}.wav", seconds=seconds)
        assert upload_path(client, path).status_code == 201
    return {clip.title: clip for clip in Clip.objects.all()}


def _titles(response) -> list[str]:
    return [clip.title for clip in response.context["page"].object_list]


def test_it_lists_searches_and_sorts(client, alice_clips):
    assert set(_titles(client.get("/library/"))) == {"piano loop", "drum break", "cello"}
    assert _titles(client.get("/library/?q=DRUM")) == ["drum break"]
    assert _titles(client.get("/library/?sort=longest")) == ["drum break", "cello", "piano loop"]
    assert _titles(client.get("/library/?sort=title")) == ["cello", "drum break", "piano loop"]
    assert _titles(client.get("/library/?sort=nonsense"))[0] == "cello"  # newest first
    assert "No clip matches" in client.get("/library/?q=zzz").content.decode()


def test_it_shows_the_clip_page_with_player_and_spectrogram(client, alice_clips):
    clip = alice_clips["cello"]
    page = client.get(clip.get_absolute_url()).content.decode()
    assert f'src="/library/{clip.uid}/audio"' in page
    assert f'src="/library/{clip.uid}/spectrogram.png"' in page
    assert 'id="clip-peaks"' in page
    assert "22050 Hz" in page


def test_it_renames_and_tags(client, alice_clips):
    clip = alice_clips["cello"]
    response = client.post(
        clip.get_absolute_url(), {"title": "  Cello  solo ", "tags": "Strings, calm,, strings"}
    )
    assert response.status_code == 302
    clip.refresh_from_db()
    assert clip.title == "Cello solo"
    assert clip.tags == "strings, calm"
    assert [c.title for c in Clip.objects.search("calm")] == ["Cello solo"]


def test_it_refuses_an_empty_title(client, alice_clips):
    clip = alice_clips["cello"]
    response = client.post(clip.get_absolute_url(), {"title": "   ", "tags": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()  # the form strips spaces
    clip.refresh_from_db()
    assert clip.title == "cello"


def test_it_deletes_a_clip_and_its_files(
    client, alice_clips, settings, django_capture_on_commit_callbacks
):
    clip = alice_clips["cello"]
    names = [f.name for f in clip.files()]
    assert client.get(f"/library/{clip.uid}/delete/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/library/{clip.uid}/delete/")
    assert response.status_code == 302
    assert not Clip.objects.filter(pk=clip.pk).exists()
    remaining = {str(p.relative_to(settings.MEDIA_ROOT)) for p in media_files(settings)}
    assert not remaining & set(names)
    assert len(remaining) == 6


def test_it_serves_audio_with_byte_ranges(client, alice_clips):
    clip = alice_clips["cello"]
    whole = client.get(f"/library/{clip.uid}/audio")
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/wav"
    body = b"".join(whole.streaming_content)
    assert body == clip.original.open("rb").read()
    part = client.get(f"/library/{clip.uid}/audio", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == body[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(body)}"
    tail = client.get(f"/library/{clip.uid}/audio", headers={"Range": "bytes=-5"})
    assert tail.content == body[-5:]
    beyond = client.get(f"/library/{clip.uid}/audio", headers={"Range": f"bytes={len(body) + 5}-"})
    assert beyond.status_code == 416


def test_it_downloads_the_original_under_its_name(client, alice_clips):
    clip = alice_clips["drum break"]
    response = client.get(f"/library/{clip.uid}/audio?download=1")
    assert 'attachment; filename="drum break.wav"' in response["Content-Disposition"]


def test_it_serves_the_spectrogram(client, alice_clips):
    clip = alice_clips["cello"]
    response = client.get(f"/library/{clip.uid}/spectrogram.png")
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
