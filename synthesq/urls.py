from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from synthesq.core.landing import landing
from synthesq.core.problems import api_aware_404
from synthesq.observability import health, metrics

urlpatterns = [
    path("", landing, name="landing"),  # where "Return to site" and a bare host name lead
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("synthesq.api")),
    re_path(r"^api/", api_aware_404),  # unknown API URLs: problem details, also with DEBUG on
    # Operations: probes (no authentication) and Prometheus metrics (token or address allow-list).
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("healthz/tasks", health.task_queue, name="healthz-tasks"),  # the task queue, for alerting
    path("metrics", metrics.metrics_view, name="metrics"),
]

handler400 = "synthesq.core.problems.api_aware_400"
handler403 = "synthesq.core.problems.api_aware_403"
handler404 = "synthesq.core.problems.api_aware_404"
handler500 = "synthesq.core.problems.api_aware_500"
