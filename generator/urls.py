from __future__ import annotations

from django.urls import path

from generator import staff, views

app_name = "generator"
urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<uuid:uid>/", views.job_detail, name="job"),
    path("jobs/<uuid:uid>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<uuid:uid>/again/", views.job_again, name="again"),
    path("staff/models/", staff.model_list, name="models"),
    path("staff/models/upload/", staff.model_upload, name="model_upload"),
    path("staff/models/compare/", staff.model_compare, name="model_compare"),
    path("staff/models/<int:pk>/<str:action>/", staff.model_action, name="model_action"),
    path("staff/training/new/", staff.training_new, name="training_new"),
    path("staff/training/<uuid:uid>/", staff.training_detail, name="training"),
    path("staff/training/<uuid:uid>/cancel/", staff.training_cancel, name="training_cancel"),
    path("staff/training/<uuid:uid>/resume/", staff.training_resume, name="training_resume"),
]
