"""Forms for uploading and editing clips."""

from __future__ import annotations

from django import forms

from musicweb.library.models import Clip
from musicweb.tags import format_tags, parse_tags


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files at once, as Django's docs describe."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "audio/*,.wav,.flac,.ogg,.opus,.mp3"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = list(data) if isinstance(data, list | tuple) else [data]
        items = [item for item in items if item]
        if not items:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [single(item, initial) for item in items]


class UploadForm(forms.Form):
    # Empty files pass the field so that ingest() explains them like any other refusal.
    files = MultipleFileField(
        label="Audio files",
        allow_empty_file=True,
        error_messages={"required": "Choose at least one audio file."},
    )


class ClipForm(forms.ModelForm):
    class Meta:
        model = Clip
        fields = ("title", "tags")
        help_texts = {"tags": "Comma-separated, for example: piano, calm, loop."}

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("A clip needs a title.")
        return title

    def clean_tags(self) -> str:
        return format_tags(parse_tags(self.cleaned_data["tags"]))
