"""Every write service checks its own permission: called by a user whose role lacks it, each is refused (403
``PermissionRefused``) and nothing changes, whoever calls it (the API, the admin, a command, a task).

The services are enumerated from the apps' services modules: a new public function there must be listed below,
either as a write (with a call that the test makes) or as exempt with the reason, so a new service cannot leave
its check to its callers unnoticed."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from billing.models import Payment
from integrations import services as integrations
from sales import services as sales
from sales.models import OrderStatus
from synthesq.core.errors import PermissionRefused
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentFactory,
    ProductFactory,
    ReturnFactory,
    UserFactory,
    WarehouseFactory,
)
from tests.helpers import rows_of

SERVICE_MODULES = ("sales.services", "billing.services", "inventory.services", "integrations.services")
SNAPSHOT_APPS = ("sales", "billing", "inventory", "integrations", "core")

# Public functions of the services modules that are not write services a caller asks for, and why.
EXEMPT = {
    "order_lines_validate": "checks lines, writes nothing",
    "credit_note_check_return": "checks a return, writes nothing",
    "validate_parent": "checks a product's parent, writes nothing",
    "invoice_number": "formats a number",
    "invoice_number_sequence": "names a counter",
    "invoice_due_at": "computes a date",
    "credit_note_number": "formats a number",
    "credit_note_number_sequence": "names a counter",
    "invoice_create_for_order": "follows order_confirm, which checked",
    "invoice_void_for_cancelled_order": "follows order_cancel, which checked",
    "invoice_finalise_for_closed_order": "follows order_close, which checked",
    "credit_note_issue_for_return": "follows return_credit, which checked",
    "credit_note_issue_locked": "called by credit_note_issue and credit_note_issue_for_return, which checked",
    "stock_reserve": "called by order_confirm, which checked",
    "stock_lock": "locks rows for its caller's write (order_amend), which checked",
    "invoice_rewrite_for_amended_order": "follows order_amend, which checked",
    "stock_release": "called by order_cancel, which checked",
    "stock_return": "called by return_receive, which checked",
    "warehouse_default": "reads the default warehouse (making it again only if the table was emptied)",
    "orders_close_chunk": "the system's batch close (no user)",
    "orders_close_delivered": "the system's batch close (no user)",
    "invoices_issue_for_closed_orders": "follows the system's batch close",
    "webhook_endpoint_validate": "checks a URL and event patterns, writes nothing",
    "webhook_endpoint_lock": "locks an endpoint for the services that change it",
    "endpoint_signing_secrets": "reads an endpoint's secrets",
    "webhook_payload": "renders an event",
    "retry_delay": "computes a delay",
    "claim_deliveries": "the delivery worker (no user)",
    "send_all": "the delivery worker (no user)",
    "record_results": "the delivery worker (no user)",
    "events_fan_out": "the delivery worker (no user)",
    "webhook_deliveries_run": "the delivery worker (no user)",
    "webhook_deliveries_sweep": "the delivery worker (no user)",
    "webhooks_recover": "the system's recovery (a command and the worker, no user)",
    "webhooks_recover_now_and_then": "the system's recovery (the worker, no user)",
    "events_purge": "the system's purge (a command, no user)",
}


def _module_services() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for attribute in names:
            value = getattr(module, attribute)
            if inspect.isfunction(value) and (hasattr(module, "__all__") or value.__module__ == name):
                found[attribute] = value
    return found


def _on_hold() -> str:
    order = OrderFactory()
    sales.order_hold(order_id=order.pk, actor=None, reason="disputed")
    return order.pk


def _first_product(order_id: str) -> str:
    return str(apps.get_model("sales", "OrderLine").objects.filter(order_id=order_id).first().product_id)


def _delivered_return_lines() -> dict[str, Any]:
    order = OrderFactory(status=OrderStatus.DELIVERED)
    return {"order_id": order.pk, "lines": [sales.ReturnLineInput(product_id=_first_product(order.pk), quantity=1)]}


def _shipment() -> str:
    order = OrderFactory(status=OrderStatus.SHIPPED)
    return str(apps.get_model("sales", "Shipment").objects.get(order=order).pk)


def _endpoint() -> str:
    endpoint, _secret = integrations.webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["*"], actor=None)
    return endpoint.pk


def _delivery() -> str:
    return integrations.webhook_endpoint_test(endpoint_id=_endpoint(), actor=None).pk


# Each write service, with the arguments (besides ``actor``) of a call that only the permission refuses.
WRITES: dict[str, Callable[[], dict[str, Any]]] = {
    "customer_create": lambda: {"name": "Acme", "email": "acme@example.com"},
    "customer_update": lambda: {"customer": CustomerFactory(), "data": {"name": "New"}},
    "order_create": lambda: {"customer_id": CustomerFactory().pk, "currency": "USD",
                             "line_items": [sales.LineInput(product_id=ProductFactory().pk, quantity=1)]},
    "order_update_draft": lambda: {"order_id": OrderFactory().pk, "shipping_address": None},
    "order_confirm": lambda: {"order_id": OrderFactory().pk},
    "order_start_processing": lambda: {"order_id": OrderFactory(status=OrderStatus.CONFIRMED).pk},
    "order_ship": lambda: {"order_id": OrderFactory(status=OrderStatus.PROCESSING).pk, "tracking_number": "T1",
                           "carrier": "UPS"},
    "order_deliver": lambda: {"order_id": OrderFactory(status=OrderStatus.SHIPPED).pk},
    "order_close": lambda: {"order_id": OrderFactory(status=OrderStatus.DELIVERED).pk},
    "order_cancel": lambda: {"order_id": OrderFactory().pk},
    "order_transition": lambda: {"order_id": OrderFactory().pk, "status": OrderStatus.CONFIRMED},
    "order_hold": lambda: {"order_id": OrderFactory().pk, "reason": "disputed"},
    "order_release_hold": lambda: {"order_id": _on_hold()},
    "return_request": _delivered_return_lines,
    "return_receive": lambda: {"return_id": ReturnFactory().pk},
    "return_credit": lambda: {"return_id": ReturnFactory(received=True).pk},
    "return_reject": lambda: {"return_id": ReturnFactory().pk, "reason": "not ours"},
    "return_change_status": lambda: {"return_id": ReturnFactory().pk, "status": "received"},
    "shipment_create": lambda: {"order_id": OrderFactory(status=OrderStatus.PROCESSING).pk, "warehouse_id": "wh_x",
                                "lines": [sales.ShipmentLineInput(product_id="prod_x", quantity=1)],
                                "tracking_number": "T1", "carrier": "UPS"},
    "shipment_deliver": lambda: {"shipment_id": _shipment()},
    "order_amend": lambda: {"order_id": OrderFactory(status=OrderStatus.CONFIRMED).pk, "reason": "more",
                            "lines": [sales.AmendmentLineInput(product_id="prod_x", quantity=1)]},
    "shipment_change_status": lambda: {"shipment_id": _shipment(), "status": "delivered"},
    "invoice_issue": lambda: {"invoice_id": InvoiceFactory().pk},
    "invoice_void": lambda: {"invoice_id": InvoiceFactory().pk},
    "invoice_transition": lambda: {"invoice_id": InvoiceFactory().pk, "status": "issued"},
    "payment_record": lambda: {"invoice_id": InvoiceFactory(status="issued").pk, "amount": Decimal("10.00"),
                               "currency": "USD", "payment_method": Payment.Method.CARD, "reference": "TXN-1"},
    "credit_note_issue": lambda: {"invoice_id": InvoiceFactory(status="issued").pk, "amount": Decimal("10.00"),
                                  "reason": "goodwill"},
    "refund_record": lambda: {"payment_id": PaymentFactory(amount=Decimal("10.00")).pk, "amount": Decimal("5.00"),
                              "reason": "goodwill", "reference": "RF-1"},
    "product_create": lambda: {"sku": "NEW-1", "name": "New", "price": Decimal("5.00"), "currency": "USD"},
    "product_update": lambda: {"product": ProductFactory(), "data": {"name": "New"}},
    "stock_adjust": lambda: {"product": ProductFactory(), "quantity_delta": 1, "reason": "count"},
    "stock_transfer": lambda: {"product": ProductFactory(stock=2), "from_warehouse": WarehouseFactory(),
                               "to_warehouse": WarehouseFactory(), "quantity": 1, "reason": "rebalance"},
    "warehouse_create": lambda: {"code": "NEW-1", "name": "New"},
    "warehouse_update": lambda: {"warehouse": WarehouseFactory(), "data": {"name": "New"}},
    "webhook_endpoint_create": lambda: {"url": "http://127.0.0.1:9/in", "events": ["*"]},
    "webhook_endpoint_update": lambda: {"endpoint_id": _endpoint(), "data": {"description": "new"}},
    "webhook_endpoint_delete": lambda: {"endpoint_id": _endpoint()},
    "webhook_endpoint_rotate_secret": lambda: {"endpoint_id": _endpoint()},
    "webhook_endpoint_test": lambda: {"endpoint_id": _endpoint()},
    "webhook_delivery_retry": lambda: {"delivery_id": _delivery()},
}


def _rows() -> dict[str, list[dict[str, Any]]]:
    return rows_of(*(model for label in SNAPSHOT_APPS for model in apps.get_app_config(label).get_models()))


def test_every_service_is_listed_as_a_write_or_exempt() -> None:
    services = set(_module_services())
    assert not set(WRITES) & set(EXEMPT)
    assert services - set(WRITES) - set(EXEMPT) == set(), "a new service: list it in WRITES (or EXEMPT, with why)"
    assert set(WRITES) | set(EXEMPT) <= services, "a listed service no longer exists"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_service_refuses_an_actor_without_its_permission(name: str) -> None:
    service = _module_services()[name]
    kwargs = WRITES[name]()
    nobody: User = UserFactory()  # a signed-in user whose role holds no permission
    before = _rows()
    with pytest.raises(PermissionRefused):
        service(actor=nobody, **kwargs)
    assert _rows() == before
