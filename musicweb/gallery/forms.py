"""Forms of the gallery: its filters, publishing, rating and reporting (pages and API)."""

from __future__ import annotations

from django import forms

from generator.engine.catalog import MODE_CHOICES
from generator.models import ModelVersion
from musicweb.gallery.models import SORTS, Report, Track, refresh_trending_if_stale
from musicweb.tags import MAX_TAG_LENGTH, format_tags, parse_tags


class GalleryFilterForm(forms.Form):
    """The gallery's search, filters and sort; every field is optional."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)
    mode = forms.ChoiceField(choices=[("", "Any mode"), *MODE_CHOICES], required=False)
    # The largest id a database row can have: a bigger number could only fail in SQL.
    model = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, label="Model")
    tag = forms.CharField(required=False, max_length=MAX_TAG_LENGTH)
    author = forms.CharField(required=False, max_length=150)
    featured = forms.NullBooleanField(required=False)

    def clean_tag(self) -> str:
        tags = parse_tags(self.cleaned_data["tag"])
        return tags[0] if tags else ""

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "newest"

    def tracks(self, base=None):
        """Published tracks matching the filters, sorted; call after is_valid()."""
        data = self.cleaned_data
        if data["sort"] == "trending":
            refresh_trending_if_stale()
        base = Track.objects.published() if base is None else base
        return base.filtered(
            query=data["q"],
            mode=data["mode"],
            model=data["model"],
            tag=data["tag"],
            author=data["author"].strip(),
            featured=data["featured"],
        ).sorted_by(data["sort"])

    @property
    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("q", "mode", "model", "tag", "author")) or (
            data.get("featured") is not None
        )

    @staticmethod
    def model_choices() -> list[ModelVersion]:
        """The versions behind published tracks: a filter by any other would show nothing."""
        made = Track.objects.published().values("model_version")
        versions = ModelVersion.objects.filter(pk__in=made)
        return list(versions.only("id", "name", "version"))


class PublishForm(forms.ModelForm):
    class Meta:
        model = Track
        fields = ("title", "description", "tags")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"tags": "Comma-separated, for example: piano, calm, loop."}

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("A published track needs a title.")
        return title

    def clean_description(self) -> str:
        return self.cleaned_data["description"].strip()

    def clean_tags(self) -> str:
        return format_tags(parse_tags(self.cleaned_data["tags"]))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)],
        coerce=int,
        error_messages={"invalid_choice": "A rating is 1 to 5 stars."},
    )


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ("reason", "details")
        widgets = {"details": forms.Textarea(attrs={"rows": 2})}
        labels = {"details": "Details (optional)"}
