from __future__ import annotations

from django.urls import path

from musicweb.gallery import views

app_name = "gallery"
urlpatterns = [
    path("tracks/<uuid:uid>/", views.track_detail, name="track"),
    path("tracks/<uuid:uid>/audio.<str:fmt>", views.track_audio, name="audio"),
    path("tracks/<uuid:uid>/spectrogram.png", views.track_spectrogram, name="spectrogram"),
]
