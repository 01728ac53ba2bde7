from __future__ import annotations

from django.urls import path

from musicweb.recommend import views

app_name = "recommend"
urlpatterns = [
    path("for-you/", views.for_you, name="for_you"),
    path("for-you/styles/", views.choose_styles, name="styles"),
    path("radio/", views.radio, name="radio"),
    path("history/delete/", views.forget_all, name="forget_all"),
    path("history/<str:kind>/<int:pk>/delete/", views.forget_one, name="forget_one"),
]
