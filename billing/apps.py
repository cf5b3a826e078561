from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and code catalog"

    def ready(self) -> None:
        # Connects the signals that clear the cached payer choices (billing/choices.py)
        # and the error counts kept on unsent claims (billing/scrubber/core.py).
        from billing import choices, scrubber  # noqa: F401
