"""django-prometheus' HTTP metrics, the same series, with less work per request (issue 25).

``PrometheusAfterMiddleware`` is django-prometheus' own with two changes that leave every series, label and value
as they were:

- the labelled child of each metric is looked up once per distinct set of labels and remembered
  (``prometheus_client``'s ``labels()`` validates the names, converts the values and takes a lock on every call:
  a dozen calls a request). The remembered children are exactly the series the metric already holds, so this adds
  no cardinality of its own;
- the request's ``X-Requested-With`` and ``Content-Length`` are read from ``META`` rather than through
  ``request.headers``, which Django builds from every ``HTTP_*`` key of ``META`` the first time it is read.

``PrometheusBeforeMiddleware`` (two label-less metrics) is django-prometheus' own, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_prometheus import middleware
from django_prometheus.utils import Time

PrometheusBeforeMiddleware = middleware.PrometheusBeforeMiddleware


class PrometheusAfterMiddleware(middleware.PrometheusAfterMiddleware):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._children: dict[tuple[Any, ...], Any] = {}

    def label_metric(self, metric: Any, request: HttpRequest, response: Any = None, **labels: Any) -> Any:
        if not labels:
            return metric
        key = (id(metric), *labels.items())  # metrics live as long as the process; each call site names its labels
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(**labels)
        return child

    def process_request(self, request: HttpRequest) -> None:
        transport = self._transport(request)
        method = self._method(request)
        self.label_metric(self.metrics.requests_by_method, request, method=method).inc()
        self.label_metric(self.metrics.requests_by_transport, request, transport=transport).inc()
        meta = request.META
        # Mimic the behaviour of the deprecated "Request.is_ajax()" method (as django-prometheus does).
        if meta.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest":
            self.label_metric(self.metrics.requests_ajax, request).inc()
        content_length = int(meta.get("CONTENT_LENGTH") or 0)
        self.label_metric(self.metrics.requests_body_bytes, request).observe(content_length)
        request.prometheus_after_middleware_event = Time()  # type: ignore[attr-defined]
