from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice"

    def ready(self) -> None:
        # Connects the signals that clear cached filter choices (practice/listing.py), and
        # registers the ``among`` lookup (practice/bulk.py) before any query names it.
        from practice import bulk, listing  # noqa: F401
