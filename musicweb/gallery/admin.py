"""A basic moderation queue: tracks and their reports, with hide, unhide and feature."""

from __future__ import annotations

from django.contrib import admin, messages

from musicweb.gallery.models import Rating, Report, Track


def _track_action(name: str, description: str, done: str, **changes):
    """An admin action that sets fields on the selected tracks (or the reported ones)."""

    def action(modeladmin, request, queryset):
        tracks = list(_tracks(queryset))
        for track in tracks:
            for field, value in changes.items():
                setattr(track, field, value)
            track.save(update_fields=list(changes))
            modeladmin.log_change(request, track, f"{description}.")
        messages.success(request, f"{len(tracks)} track(s) {done}.")

    action.__name__ = name
    return admin.action(description=description)(action)


hide = _track_action("hide", "Hide from the gallery", "hidden", hidden=True)
unhide = _track_action("unhide", "Unhide (show again if published)", "unhidden", hidden=False)
feature = _track_action("feature", "Feature in the gallery", "featured", featured=True)
unfeature = _track_action("unfeature", "Stop featuring", "no longer featured", featured=False)


@admin.action(description="Mark the reports resolved")
def resolve(modeladmin, request, queryset):
    reports = list(queryset)
    for report in reports:
        report.resolved = True
        report.save(update_fields=["resolved"])
        modeladmin.log_change(request, report, "Marked resolved.")
    messages.success(request, f"{len(reports)} report(s) resolved.")


def _tracks(queryset):
    """The tracks behind a selection of tracks or of reports."""
    if queryset.model is Report:
        return Track.objects.filter(pk__in=queryset.values("track_id"))
    return queryset


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "mode",
        "published",
        "hidden",
        "featured",
        "play_count",
        "rating_count",
        "score",
        "created",
    )
    list_filter = ("published", "hidden", "featured", "mode")
    search_fields = ("title", "tags", "owner__username")
    raw_id_fields = ("owner", "model_version")
    readonly_fields = ("uid", "play_count", "rating_count", "rating_sum", "score", "created")
    actions = [hide, unhide, feature, unfeature]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("track", "reason", "reporter", "created", "resolved")
    list_filter = ("resolved", "reason")
    list_select_related = ("track", "reporter")
    raw_id_fields = ("track", "reporter")
    actions = [hide, unhide, resolve]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Read-only: a rating changes only through Track.rate/unrate, which keep the counts."""

    list_display = ("track", "user", "stars", "updated")
    list_select_related = ("track", "user")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
