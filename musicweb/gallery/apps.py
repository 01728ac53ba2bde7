from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "musicweb.gallery"
    label = "gallery"
    verbose_name = "Gallery"
