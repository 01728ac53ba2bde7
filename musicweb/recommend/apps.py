from django.apps import AppConfig


class RecommendConfig(AppConfig):
    name = "musicweb.recommend"
    label = "recommend"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from musicweb.recommend import signals  # noqa: F401
