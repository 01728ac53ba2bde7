"""The Generate form: the one place a generation request is validated (pages and API)."""

from __future__ import annotations

import secrets

from django import forms
from django.conf import settings

from generator.engine.catalog import MODE_CHOICES, MODE_INFO
from generator.models import ModelVersion
from musicweb.library.models import Clip

MAX_SEED = 2**31 - 1


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED)


class GenerateForm(forms.Form):
    mode = forms.ChoiceField(
        choices=MODE_CHOICES, help_text="How the music is made from your clips."
    )
    clip = forms.ModelChoiceField(
        queryset=Clip.objects.none(),
        required=False,
        to_field_name="uid",
        help_text="The clip to start from.",
    )
    clip2 = forms.ModelChoiceField(
        queryset=Clip.objects.none(),
        required=False,
        to_field_name="uid",
        label="Second clip",
        help_text="For style transfer (its texture) and interpolate (where to end).",
    )
    model_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.none(),
        required=False,
        label="Model",
        help_text="Leave empty for the mode's default model.",
    )
    seconds = forms.FloatField(
        min_value=1, initial=10, help_text="Length of the result in seconds."
    )
    strength = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=0.5,
        help_text="Style: 0 keeps the first clip's content, 1 takes the second's texture. "
        "Remix: 0 returns the clip, 1 ignores it.",
    )
    steps = forms.IntegerField(
        min_value=1,
        max_value=200,
        required=False,
        help_text="Diffusion modes: fewer steps are faster, more are finer. Empty for the default.",
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        help_text="The same clip, settings and seed always give the same music.",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Name your track.")

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        clips = Clip.objects.owned_by(user).order_by("title")
        self.fields["clip"].queryset = clips
        self.fields["clip2"].queryset = clips
        self.fields["model_version"].queryset = ModelVersion.objects.active()
        self.fields["model_version"].label_from_instance = lambda v: (
            f"{v.label} ({', '.join(v.modes)})"
        )
        if not self.is_bound:
            self.initial.setdefault("seed", random_seed())

    def clean(self) -> dict:
        data = super().clean()
        mode = data.get("mode")
        if not mode:
            return data
        info = MODE_INFO[mode]
        if info.clips >= 1 and not data.get("clip"):
            self.add_error("clip", f"{info.label} needs a clip to start from.")
        if info.clips >= 2 and not data.get("clip2"):
            self.add_error("clip2", f"{info.label} needs a second clip.")
        if info.clips < 2:
            data["clip2"] = None
        if info.clips < 1:
            data["clip"] = None
        limit = settings.MAX_SECONDS[mode]
        seconds = data.get("seconds")
        if seconds is not None and seconds > limit:
            self.add_error("seconds", f"{info.label} makes at most {limit} seconds.")
        steps = data.get("steps")
        if steps is not None and steps > info.max_steps:
            self.add_error("steps", f"{info.label} takes at most {info.max_steps} steps.")
        version = data.get("model_version")
        if version is None:
            version = ModelVersion.objects.default_for(mode)
            if version is None:
                self.add_error("model_version", f"No model serves {info.label} yet.")
        elif mode not in version.modes:
            self.add_error("model_version", f"{version.label} does not serve {info.label}.")
        data["model_version"] = version
        if not data.get("title"):
            source = data.get("clip")
            data["title"] = (
                f"{info.label} of {source.title}" if source else f"{info.label} #{data.get('seed')}"
            )
        return data


class TrainForm(forms.Form):
    """Start training a new model version from the web (staff only)."""

    name = forms.SlugField(max_length=100, help_text="The new version's name, e.g. my-unet.")
    arch = forms.ChoiceField(
        choices=[
            ("unet", "Diffusion U-Net (remix, continue, interpolate, dream)"),
            ("tagger", "Tagger CNN"),
        ],
        label="Architecture",
    )
    clips = forms.ModelMultipleChoiceField(
        queryset=Clip.objects.none(),
        required=False,
        to_field_name="uid",
        widget=forms.CheckboxSelectMultiple,
        help_text="Your clips to train on.",
    )
    use_corpus = forms.BooleanField(
        required=False, label="Also use the corpus", help_text="The corpus built on this server."
    )
    steps = forms.IntegerField(min_value=1, max_value=100_000, initial=200)
    batch_size = forms.IntegerField(min_value=1, max_value=64, initial=8)
    learning_rate = forms.FloatField(min_value=1e-6, max_value=1e-1, initial=3e-4)
    seed = forms.IntegerField(min_value=0, max_value=MAX_SEED, initial=0)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clips"].queryset = Clip.objects.owned_by(user).order_by("title")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("clips") and not data.get("use_corpus"):
            raise forms.ValidationError("Choose some clips, or the corpus, to train on.")
        return data


class CheckpointUploadForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="The version's name.")
    weights = forms.FileField(label="model.safetensors", help_text="Weights in safetensors format.")
    config = forms.FileField(label="config.json", help_text="The checkpoint's JSON config.")
