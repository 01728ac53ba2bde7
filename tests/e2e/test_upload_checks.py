"""Uploads are checked in the browser before any byte is sent: type, size, quota and length.
A refused file's row turns red with its reason; a good file in the same batch still uploads.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings
from playwright.sync_api import expect

from musicweb.library.models import Clip
from tests.conftest import real_recording
from tests.e2e.conftest import PHONE, shot
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def _files(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not music")
    big = tmp_path / "huge.wav"
    with big.open("wb") as handle:  # sparse: over the size limit without writing it all
        handle.truncate((settings.MAX_UPLOAD_MB + 1) * 1024 * 1024)
    long = tmp_path / "endless.wav"
    rate = 8000  # the lowest rate accepted keeps a file longer than the limit small
    sf.write(long, np.zeros(rate * (settings.MAX_CLIP_SECONDS + 30), np.int16), rate, "PCM_16")
    return [notes, big, long, real_recording("sorohanro_solo_trumpet.ogg")]


def test_it_refuses_bad_files_in_the_page_before_sending(new_page, site, tmp_path):
    jill = make_user("jill")
    page = new_page(jill)
    sent = []
    page.on("request", lambda r: r.method == "POST" and "/upload/" in r.url and sent.append(r))
    page.goto("/library/")
    page.set_input_files("input[type=file]", [str(path) for path in _files(tmp_path)])

    rows = page.locator("[data-upload-list] .upload-item")
    expect(rows).to_have_count(4)
    expect(rows.nth(3).locator(".status.ok")).to_be_visible(timeout=60_000)
    expect(rows.nth(0)).to_contain_text("Not an audio file")
    expect(rows.nth(1)).to_contain_text(f"over the {settings.MAX_UPLOAD_MB} MB limit")
    limit = f"{settings.MAX_CLIP_SECONDS // 60}:{settings.MAX_CLIP_SECONDS % 60:02d}"
    expect(rows.nth(2)).to_contain_text(f"over the {limit} limit")
    for i in range(3):
        expect(rows.nth(i)).to_have_class("upload-item failed")
        expect(rows.nth(i)).to_have_attribute("role", "alert")
        colour = rows.nth(i).evaluate("(el) => getComputedStyle(el).backgroundColor")
        assert colour == "rgb(90, 31, 44)", colour  # the red of danger buttons
    assert len(sent) == 1, [r.url for r in sent]  # only the good file went to the server
    assert list(Clip.objects.values_list("title", flat=True)) == ["sorohanro_solo_trumpet"]
    shot(page, "upload-refused-desktop")


def test_it_refuses_a_file_that_does_not_fit_the_quota(new_page, site, tmp_path):
    kim = make_user("kim", quota_mb=1)
    page = new_page(kim, viewport=PHONE)
    sent = []
    page.on("request", lambda r: r.method == "POST" and "/upload/" in r.url and sent.append(r))
    page.goto("/library/")
    two_mb = tmp_path / "two.wav"
    sf.write(two_mb, np.zeros(1_100_000, np.int16), 44_100, "PCM_16")
    page.set_input_files("input[type=file]", str(two_mb))
    row = page.locator("[data-upload-list] .upload-item")
    expect(row).to_contain_text("does not fit: 1.0 MB of your quota is left")
    assert sent == [] and not Clip.objects.exists()
    shot(page, "upload-refused-phone")
