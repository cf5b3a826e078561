from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and code catalog"

    def ready(self) -> None:
        # Connects the signals that clear the cached payer choices (billing/choices.py).
        from billing import choices  # noqa: F401
