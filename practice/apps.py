from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice"

    def ready(self) -> None:
        # Connects the signals that clear cached filter choices (practice/listing.py).
        from practice import listing  # noqa: F401
