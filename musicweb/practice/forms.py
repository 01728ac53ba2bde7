"""The request form for a practice piece (shared by the page and the API)."""

from __future__ import annotations

import secrets

from django import forms

from musicweb.practice.models import LEVEL_CHOICES, STYLE_CHOICES

# Mirrors generator.engine.practice.compose.INSTRUMENTS, kept here so the page never
# imports torch; a test checks that the two lists agree.
INSTRUMENT_CHOICES = [
    ("piano", "Piano (right hand) · Piano"),
    ("marimba", "Marimba · Chromatic percussion"),
    ("organ", "Church organ · Organ"),
    ("guitar", "Classical guitar · Guitar"),
    ("bass", "Acoustic bass · Bass"),
    ("violin", "Violin · Strings"),
    ("viola", "Viola · Strings"),
    ("cello", "Cello · Strings"),
    ("trumpet", "Trumpet · Brass"),
    ("trombone", "Trombone · Brass"),
    ("horn", "French horn · Brass"),
    ("tuba", "Tuba · Brass"),
    ("alto_sax", "Alto saxophone · Reed"),
    ("oboe", "Oboe · Reed"),
    ("bassoon", "Bassoon · Reed"),
    ("clarinet", "Clarinet · Reed"),
    ("flute", "Flute · Pipe"),
    ("recorder", "Recorder · Pipe"),
]
MAX_BARS = 32


class PracticeForm(forms.Form):
    instrument = forms.ChoiceField(choices=INSTRUMENT_CHOICES, initial="violin")
    style = forms.ChoiceField(choices=STYLE_CHOICES, initial="folk")
    level = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=1, label="Difficulty",
        help_text="1: a few notes, quarter notes, no accidentals, slow. 5: wide range, "
        "sixteenths, accidentals, up to four sharps or flats, faster.",
    )  # fmt: skip
    bars = forms.IntegerField(min_value=2, max_value=MAX_BARS, initial=8, label="Length in bars")
    seed = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False,
        help_text="The same seed and choices write the same piece; empty for a new one.",
    )  # fmt: skip
    title = forms.CharField(max_length=200, required=False)

    def clean_seed(self) -> int:
        seed = self.cleaned_data.get("seed")
        return secrets.randbelow(2**31) if seed is None else seed
