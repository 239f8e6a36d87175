"""Signal receivers: the request log's route and duration (django-structlog), and the order lifecycle's
business events (``sales.signals``). Connected when the app is ready (``apps.ObservabilityConfig``)."""

from __future__ import annotations

import time
from typing import Any

from django.dispatch import receiver
from django.http import HttpRequest
from django_structlog import signals as structlog_signals

from sales.models import Order, OrderStatus
from sales.signals import order_status_changed, orders_closed

from . import events


def _route_and_duration(request: HttpRequest, log_kwargs: dict[str, Any]) -> None:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        log_kwargs["route"] = match.route
        log_kwargs["view"] = match.view_name
    started = getattr(request, "started_at", None)  # set by synthesq.core.request_id.RequestIdMiddleware
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)


@receiver(structlog_signals.bind_extra_request_finished_metadata, dispatch_uid="synthesq.request_finished_log")
def request_finished_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)


@receiver(structlog_signals.bind_extra_request_failed_metadata, dispatch_uid="synthesq.request_failed_log")
def request_failed_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)


@receiver(order_status_changed, sender=Order, dispatch_uid="synthesq.observability.order_status_changed")
def order_moved(*, order: Order, from_status: str, to_status: str, actor: Any, **kwargs: Any) -> None:
    events.order_moved(order_id=order.pk, order_number=order.order_number, from_status=from_status,
                       to_status=to_status, actor_id=getattr(actor, "pk", None))


@receiver(orders_closed, sender=Order, dispatch_uid="synthesq.observability.orders_closed")
def orders_closed_in_batch(*, order_ids: list[str], **kwargs: Any) -> None:
    events.orders_closed_in_batch(order_ids=order_ids, from_status=OrderStatus.DELIVERED,
                                  to_status=OrderStatus.CLOSED)
