from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Logs, metrics, health probes and error reporting (no models)."""

    name = "synthesq.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
