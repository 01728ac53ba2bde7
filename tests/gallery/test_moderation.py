"""Reports go to the moderation queue; hidden tracks vanish for everyone but owner and staff."""

from __future__ import annotations

import pytest

from musicweb.gallery.models import Report, Track

pytestmark = pytest.mark.django_db


def _report(client, track, **data):
    return client.post(f"/tracks/{track.uid}/report/", {"reason": "spam", "details": "ads", **data})


def test_it_files_a_report_once_per_person(client, bob, track):
    client.force_login(bob)
    assert _report(client, track).status_code == 302
    assert _report(client, track, reason="offensive").status_code == 302
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.resolved) == (bob, "offensive", False)


def test_it_refuses_a_report_without_a_reason(client, bob, track):
    client.force_login(bob)
    response = _report(client, track, reason="")
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Report.objects.exists()


def test_it_refuses_reports_from_owner_visitors_and_on_private_tracks(
    client, alice, bob, track, private_track
):
    response = _report(client, track)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(alice)
    _report(client, track)
    client.force_login(bob)
    assert _report(client, private_track).status_code == 404
    assert not Report.objects.exists()


def test_it_hides_a_hidden_track_from_gallery_and_page(client, alice, bob, charlie, hidden_track):
    url = hidden_track.get_absolute_url()
    assert client.get(url).status_code == 404
    assert "Flagged" not in client.get("/gallery/").content.decode()
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.get(url + "audio.wav").status_code == 404
    client.force_login(alice)
    assert "A moderator has hidden this track" in client.get(url).content.decode()
    client.force_login(charlie)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [("hide", "hidden", True), ("feature", "featured", True), ("unhide", "hidden", False)],
)
def test_it_lets_staff_moderate_from_the_admin(client, bob, charlie, track, action, field, value):
    Track.objects.filter(pk=track.pk).update(hidden=not value if field == "hidden" else False)
    Report.objects.create(track=track, reporter=bob, reason="spam")
    client.force_login(charlie)
    assert client.get("/admin/gallery/report/").status_code == 200
    response = client.post(
        "/admin/gallery/track/",
        {"action": action, "_selected_action": [track.pk], "index": 0},
    )
    assert response.status_code == 302
    track.refresh_from_db()
    assert getattr(track, field) is value
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(user=charlie, object_id=str(track.pk)).count() == 1


def test_it_hides_reported_tracks_from_the_report_queue(client, bob, charlie, track):
    report = Report.objects.create(track=track, reporter=bob, reason="spam")
    client.force_login(charlie)
    client.post("/admin/gallery/report/", {"action": "hide", "_selected_action": [report.pk]})
    track.refresh_from_db()
    assert track.hidden


def test_it_keeps_the_admin_from_non_staff(client, bob):
    client.force_login(bob)
    assert client.get("/admin/gallery/report/").status_code == 302
