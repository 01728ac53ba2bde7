"""The site's URL map: pages per app, the API, health and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from musicweb import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("musicweb.accounts.urls")),
    path("library/", include("musicweb.library.urls")),
    path("practice/", include("musicweb.practice.urls")),
    path("api/", include("musicweb.api")),
    path("", include("generator.urls")),
    path("", include("musicweb.gallery.urls")),
    path("", include("musicweb.recommend.urls")),
    path("admin/", admin.site.urls),
]
