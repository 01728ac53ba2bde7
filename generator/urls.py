from __future__ import annotations

from django.urls import path

from generator import views

app_name = "generator"
urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<uuid:uid>/", views.job_detail, name="job"),
    path("jobs/<uuid:uid>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<uuid:uid>/again/", views.job_again, name="again"),
]
