from __future__ import annotations

from django.urls import path

from musicweb.library import views

app_name = "library"
urlpatterns = [
    path("", views.clip_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:uid>/", views.clip_detail, name="detail"),
    path("<uuid:uid>/delete/", views.clip_delete, name="delete"),
    path("<uuid:uid>/audio", views.clip_audio, name="audio"),
    path("<uuid:uid>/peaks.json", views.clip_peaks, name="peaks"),
    path("<uuid:uid>/spectrogram.png", views.clip_spectrogram, name="spectrogram"),
]
