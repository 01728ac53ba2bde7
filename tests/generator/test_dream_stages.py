"""A dream starts from no clip, so its progress never speaks of analysing one."""

from __future__ import annotations

import pytest

from generator import live, runner
from generator.forms import GenerateForm
from generator.jobs import submit
from tests.factories import make_clip, make_job
from tests.generator.test_runner import _listen

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


def _stages(job) -> list[str]:
    events = _listen(live.job_group(job.uid))
    assert runner.run_job(job.pk, worker="w1") == "done"
    return [m["state"]["stage"] for m in events()]


@pytest.mark.slow
def test_it_never_says_analysing_clip_for_a_dream(alice, tmp_path):
    form = GenerateForm(
        alice, {"mode": "dream", "seconds": 1, "seed": 7, "steps": 2, "strength": 0.5}
    )
    assert form.is_valid(), form.errors
    dream = submit(alice, form.cleaned_data)
    assert dream.clip is None
    stages = _stages(dream)
    assert stages and not [stage for stage in stages if "clip" in stage], stages
    variation = _stages(make_job(alice, make_clip(alice), seconds=1))
    assert "analysing clip" in variation  # a mode with a clip still says what it does
