"""Who may do what with tracks, clips and jobs: one set of rules for pages and the API.

Pages and API views both look objects up with the `get_x_for_user()` helpers
(404 for what a person may not see, so ids leak nothing), then ask the
functions here about actions. The DRF permission classes below are thin
wrappers around the same functions, so a rule changes in one place.
"""

from __future__ import annotations

from rest_framework import permissions


def may_view_track(user, track) -> bool:
    """Published and not hidden, or one's own, or any for staff."""
    if track.published and not track.hidden:
        return True
    return user.is_authenticated and (user.is_staff or track.owner_id == user.pk)


def may_edit(user, obj) -> bool:
    """Only the owner changes a track, clip or job (staff moderate through the admin)."""
    return user.is_authenticated and obj.owner_id == user.pk


def may_see_sources(user, track) -> bool:
    """The source clips' titles in a track's recipe: clips are private, so owner and staff only."""
    return user.is_authenticated and (user.is_staff or track.owner_id == user.pk)


def may_cancel_job(user, job) -> bool:
    """The owner, or staff (who can see every job)."""
    return user.is_authenticated and (user.is_staff or job.owner_id == user.pk)


def rating_refusal(user, track) -> str | None:
    """Why user may not rate track, or None when they may."""
    if not user.is_authenticated:
        return "Log in to rate tracks."
    if track.owner_id == user.pk:
        return "You cannot rate your own track."
    if not (track.published and not track.hidden):
        return "Only published tracks can be rated."
    return None


def report_refusal(user, track) -> str | None:
    if not user.is_authenticated:
        return "Log in to report a track."
    if track.owner_id == user.pk:
        return "You cannot report your own track."
    if not (track.published and not track.hidden):
        return "Only published tracks can be reported."
    return None


class TrackPermission(permissions.BasePermission):
    """Read what may_view_track allows; write only one's own; any other action is checked
    by the view with rating_refusal/report_refusal."""

    message = "Only the track's owner can change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return may_view_track(request.user, obj)
        if getattr(view, "action", None) in {"rating", "report", "play"}:
            return True
        return may_edit(request.user, obj)


class OwnerPermission(permissions.BasePermission):
    message = "Only the owner can change this."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True  # the view's queryset already holds only what the user may see
        if getattr(view, "action", None) == "cancel":
            return may_cancel_job(request.user, obj)
        return may_edit(request.user, obj)
