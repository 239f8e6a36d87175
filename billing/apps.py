from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            events,  # noqa: F401  (declares the app's event types)
            receivers,  # noqa: F401  (billing follows the order lifecycle)
        )
