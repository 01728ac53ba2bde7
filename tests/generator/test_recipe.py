"""One recipe: the form, the API, the CLI, the job row and resubmit all follow contract.RECIPE."""

from __future__ import annotations

import dataclasses
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from generator.engine.contract import (
    MAX_SEED,
    PARAM_NAMES,
    RANDOM,
    RECIPE,
    SETTINGS,
    Params,
    settings_from_record,
)
from generator.forms import GenerateForm
from generator.jobs import resubmit, submit
from generator.management.commands.generate import Command
from generator.models import GenerationJob, ModelVersion
from generator.serializers import JobCreateSerializer
from tests.conftest import synth_tone
from tests.factories import make_clip, make_job
from tests.factories import tone as synth

NUMBERS = [s for s in RECIPE if s.kind in ("float", "int")]
SR = 22_050


def test_it_gives_the_form_exactly_the_recipes_settings_and_limits():
    fields = GenerateForm.base_fields
    assert list(fields) == list(SETTINGS)
    for setting in RECIPE:
        field = fields[setting.name]
        assert (field.label, field.help_text) == (setting.label, setting.help)
        assert field.required == setting.required
    for setting in NUMBERS:
        field = fields[setting.name]
        assert (field.min_value, field.max_value) == (setting.minimum, setting.maximum)
    assert fields["strength"].initial == SETTINGS["strength"].default == 0.5
    assert fields["seconds"].initial == SETTINGS["seconds"].initial
    assert fields["title"].max_length == SETTINGS["title"].max_length


def test_it_gives_the_api_exactly_the_recipes_settings_and_limits():
    fields = JobCreateSerializer().fields
    assert list(fields) == list(SETTINGS)
    for setting in RECIPE:
        assert fields[setting.name].required == setting.required, setting.name
    for setting in NUMBERS:
        field = fields[setting.name]
        assert (field.min_value, field.max_value) == (setting.minimum, setting.maximum)
    assert fields["strength"].default == 0.5
    assert "Random if omitted" in fields["seed"].help_text


def test_it_gives_the_cli_the_recipes_settings_and_defaults():
    parser = Command().create_parser("manage.py", "generate")
    options = {a.dest: a for a in parser._actions if a.dest in SETTINGS}
    # The title names a job and its track; on the command line --out names the result.
    assert set(options) == set(SETTINGS) - {"title"}
    assert options["model_version"].option_strings == ["--model"]
    for name, action in options.items():
        setting = SETTINGS[name]
        assert action.required == setting.required, name
        assert action.default == (None if setting.default == RANDOM else setting.default), name
    assert options["strength"].default == 0.5


@pytest.mark.parametrize("setting", NUMBERS, ids=lambda s: s.name)
def test_it_refuses_each_number_just_outside_the_recipes_limits_everywhere(
    setting, alice, tmp_path, db
):
    clip = make_clip(alice, samples=synth(1.5))
    wav = synth_tone(tmp_path / "tone.wav", seconds=1.5)
    outside = [setting.minimum - 1]
    if setting.maximum is not None:
        outside.append(setting.maximum + 1)
    for value in outside:
        data = {"mode": "variation", "clip": str(clip.uid), "seconds": 2, setting.name: value}
        form = GenerateForm(alice, data)
        assert not form.is_valid() and setting.name in form.errors
        serializer = JobCreateSerializer(data=data)
        assert not serializer.is_valid() and setting.name in serializer.errors
        out = tmp_path / "x.wav"
        args = ["--mode", "variation", "--clip", str(wav), "--seconds", "2"]
        with pytest.raises(CommandError):
            call_command("generate", *args, setting.cli_flag, str(value), "--out", str(out),
                         stdout=StringIO())  # fmt: skip
        assert not out.exists()


def test_it_has_one_seed_range_from_the_page_to_the_engine(client, alice, tmp_path, db):
    from generator.engine import modes
    from generator.engine.errors import InvalidInput

    clip = make_clip(alice, samples=synth(1.5))
    assert MAX_SEED == 2**31 - 1
    client.force_login(alice)
    seed_box = client.get("/generate/").context["form"]["seed"]
    assert f'max="{MAX_SEED}"' in str(seed_box)  # where the page's "New random seed" draws
    assert make_job(alice, clip, seed=MAX_SEED).seed == MAX_SEED
    assert not GenerateForm(alice, {"mode": "variation", "clip": str(clip.uid), "seconds": 2,
                                    "seed": MAX_SEED + 1}).is_valid()  # fmt: skip
    tone = (0.3 * np.sin(np.arange(2 * SR) * (2 * np.pi * 440 / SR))).astype(np.float32)
    with pytest.raises(InvalidInput, match="seed"):
        modes.generate("variation", [tone], Params(seconds=2.0, seed=MAX_SEED + 1))
    with pytest.raises(InvalidInput, match="Steps"):
        modes.generate("variation", [tone], Params(seconds=2.0, seed=0, steps=201))


def test_it_makes_params_from_the_recipe():
    assert {f.name for f in dataclasses.fields(Params)} == set(PARAM_NAMES) <= set(SETTINGS)
    for name in PARAM_NAMES:
        field = next(f for f in dataclasses.fields(Params) if f.name == name)
        if field.default is not dataclasses.MISSING:
            assert field.default == SETTINGS[name].default


def test_it_fills_omitted_settings_with_the_recipes_defaults(alice, tmp_path, db):
    clip = make_clip(alice, samples=synth(1.5))
    form = GenerateForm(alice, {"mode": "variation", "clip": str(clip.uid), "seconds": 2})
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["strength"] == 0.5 and data["steps"] is None
    assert 0 <= data["seed"] <= MAX_SEED and data["title"] == "Variation of trumpet"


def test_it_stores_every_setting_on_the_job_and_resubmits_them_all(alice, tmp_path, db):
    a = make_clip(alice, samples=synth(1.5))
    b = make_clip(alice, "organ", samples=synth(1.5, freq=220.0))
    chosen = {
        "mode": "style",
        "clip": str(a.uid),
        "clip2": str(b.uid),
        "model_version": ModelVersion.objects.get(name="texture").pk,
        "seconds": 3.5,
        "strength": 0.25,
        "steps": 9,
        "seed": 1234,
        "styles": ["jazz", "lo-fi"],
        "guidance": 3.5,
        "tempo": 96.0,
        "start": 0.5,
        "end": 1.25,
        "title": "Both",
    }
    assert set(chosen) == set(SETTINGS)  # every setting differs from its default here
    form = GenerateForm(alice, chosen)
    assert form.is_valid(), form.errors
    job = submit(alice, form.cleaned_data)
    columns = {f.name for f in GenerationJob._meta.get_fields()}
    assert set(SETTINGS) <= columns
    again = resubmit(job)
    for setting in SETTINGS:
        assert getattr(again, setting) == getattr(job, setting), setting
    recipe = job.recipe
    music = {"guidance": 3.5, "tempo": 96.0, "start": 0.5, "end": 1.25}
    assert {name: recipe[name] for name in PARAM_NAMES} == {
        "seconds": 3.5,
        "seed": 1234,
        "strength": 0.25,
        "steps": 9,
        "styles": ["jazz", "lo-fi"],
        **music,
    }
    assert Params.of(job) == Params(
        seconds=3.5, seed=1234, strength=0.25, steps=9, styles=("jazz", "lo-fi"), **music
    )


def test_it_links_a_stored_recipe_back_to_the_same_settings(client, alice, tmp_path, db):
    clip = make_clip(alice, samples=synth(1.5))
    job = make_job(alice, clip, seconds=2.5, strength=0.75, steps=7, seed=42)
    values = settings_from_record(job.recipe)
    assert list(values) == [
        "mode", "model_version", "seconds", "strength", "steps", "seed", "guidance"
    ]  # fmt: skip
    client.force_login(alice)
    form = client.get("/generate/", values).context["form"]
    assert {k: str(v) for k, v in values.items()} == {k: form.initial[k] for k in values}
    html = client.get(job.get_absolute_url()).content.decode()
    for setting in PARAM_NAMES:
        if job.recipe[setting] not in (None, []):  # unset settings are left off the page
            assert f"<dt>{SETTINGS[setting].label}</dt>" in html
    assert "<dt>Tempo</dt>" not in html
