"""The Generate form: the one place a generation request is validated (pages and API).

Its fields are made from the recipe (generator.engine.contract.RECIPE): the
same names, words, defaults and limits as the API and ``manage.py generate``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from generator.engine.catalog import MODE_CHOICES, MODE_INFO
from generator.engine.contract import MAX_SEED, RECIPE, Setting, random_seed, with_defaults
from generator.models import ModelVersion
from musicweb.library.models import Clip


class LabelsField(forms.CharField):
    """Short words separated by commas (style labels), cleaned to a tuple; a list is taken as is."""

    def to_python(self, value) -> tuple[str, ...]:
        if isinstance(value, list | tuple):
            parts = [str(part) for part in value]
        else:
            parts = super().to_python(value).split(",")
        return tuple(part.strip() for part in parts if part.strip())

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def validate(self, value) -> None:
        super().validate(value)
        for label in value:
            if len(label) > self.label_length:
                raise forms.ValidationError(
                    f"Each label has at most {self.label_length} characters."
                )


def form_field(setting: Setting) -> forms.Field:
    """The form field for one recipe setting (querysets are narrowed per user in the form)."""
    common = {"label": setting.label, "help_text": setting.help, "required": setting.required}
    limits = {"min_value": setting.minimum, "max_value": setting.maximum}
    initial = setting.initial if setting.required else setting.default
    if setting.kind == "mode":
        return forms.ChoiceField(choices=MODE_CHOICES, **common)
    if setting.kind == "clip":
        return forms.ModelChoiceField(queryset=Clip.objects.none(), to_field_name="uid", **common)
    if setting.kind == "model":
        return forms.ModelChoiceField(queryset=ModelVersion.objects.none(), **common)
    if setting.kind == "float":
        return forms.FloatField(initial=initial, **limits, **common)
    if setting.kind == "int":
        return forms.IntegerField(**limits, **common)
    if setting.kind == "labels":
        field = LabelsField(**common)
        field.label_length = setting.max_length
        return field
    return forms.CharField(max_length=setting.max_length, **common)


RecipeForm = type(
    "RecipeForm", (forms.Form,), {setting.name: form_field(setting) for setting in RECIPE}
)


class GenerateForm(RecipeForm):
    """A generation request: the recipe's fields, the user's own clips, a model for the mode.

    Omitted settings take the recipe's defaults (a fresh seed, strength 0.5),
    so the page and the API accept the same requests.
    """

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
        filled = with_defaults(data)
        data.update({name: value for name, value in filled.items() if name not in self.errors})
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
