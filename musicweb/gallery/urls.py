from __future__ import annotations

from django.urls import path

from musicweb.gallery import views

app_name = "gallery"
urlpatterns = [
    path("gallery/", views.gallery, name="gallery"),
    path("users/<str:username>/", views.profile, name="profile"),
    path("tracks/<uuid:uid>/", views.track_detail, name="track"),
    path("tracks/<uuid:uid>/publish/", views.track_publish, name="publish"),
    path("tracks/<uuid:uid>/unpublish/", views.track_unpublish, name="unpublish"),
    path("tracks/<uuid:uid>/rating/", views.track_rate, name="rate"),
    path("tracks/<uuid:uid>/play/", views.track_play, name="play"),
    path("tracks/<uuid:uid>/report/", views.track_report, name="report"),
    path("tracks/<uuid:uid>/audio.<str:fmt>", views.track_audio, name="audio"),
    path("tracks/<uuid:uid>/embed/", views.track_embed, name="embed"),
    path("tracks/<uuid:uid>/peaks.json", views.track_peaks, name="peaks"),
    path("tracks/<uuid:uid>/thumbnail.webp", views.track_thumbnail, name="thumbnail"),
    path("tracks/<uuid:uid>/spectrogram.png", views.track_spectrogram, name="spectrogram"),
]
