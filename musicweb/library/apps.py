from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "musicweb.library"
    label = "library"
    verbose_name = "Clip library"
