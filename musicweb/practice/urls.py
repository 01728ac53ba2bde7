from __future__ import annotations

from django.urls import path

from musicweb.practice import views

app_name = "practice"
urlpatterns = [
    path("", views.practice, name="practice"),
    path("published/", views.published, name="published"),
    path("<uuid:uid>/", views.detail, name="detail"),
    path("<uuid:uid>/publish", views.publish, name="publish"),
    path("<uuid:uid>/delete", views.delete, name="delete"),
    path("<uuid:uid>/<str:kind>", views.piece_file, name="file"),
]
