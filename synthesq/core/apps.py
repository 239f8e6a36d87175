from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "synthesq.core"
    label = "core"
    verbose_name = "API access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # schema registers the OpenAPI bearer scheme; throttling the throttle store's system check
        from . import schema, throttling  # noqa: F401
