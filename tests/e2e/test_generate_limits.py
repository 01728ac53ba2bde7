"""The generate page says each mode's length limit before submitting and refuses, in the page,
a length the mode cannot make: no job is queued for it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from generator.models import GenerationJob
from tests.e2e.conftest import PHONE, shot
from tests.factories import make_clip, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def _mmss(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def test_it_shows_limits_and_refuses_a_length_before_submit(new_page, site, tmp_path):
    pia = make_user("pia")
    clip = make_clip(pia)
    page = new_page(pia, viewport=PHONE)
    page.goto(f"/generate/?clip={clip.uid}")
    help_text = page.locator("[data-field=seconds] .helptext")
    variation, dream = settings.MAX_SECONDS["variation"], settings.MAX_SECONDS["dream"]
    expect(help_text).to_contain_text(f"up to {_mmss(variation)} ({variation:g} s) for Variation")
    page.locator("input[name=mode][value=dream]").check()
    expect(help_text).to_contain_text(f"up to {_mmss(dream)} ({dream:g} s) for Dream")

    page.fill("#id_seconds", str(int(dream) + 30))
    error = page.locator("[data-field=seconds] [role=alert]")
    expect(error).to_have_text(re.compile(rf"Dream makes at most {_mmss(dream)}"))
    page.locator("form[data-generate-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/generate/"))
    expect(page.locator("#id_seconds")).to_be_focused()
    shot(page, "generate-limit-phone")
    assert not GenerationJob.objects.exists()

    page.fill("#id_seconds", "2")
    expect(error).to_be_hidden()
    page.locator("form[data-generate-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    GenerationJob.objects.get().cancel()
