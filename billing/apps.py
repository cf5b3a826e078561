from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and code catalog"

    def ready(self) -> None:
        # The cached filter choices are dropped when a payer or clinician changes.
        from billing import choices  # noqa: F401
