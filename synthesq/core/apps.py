from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "synthesq.core"
    label = "core"
    verbose_name = "API access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI bearer scheme)
