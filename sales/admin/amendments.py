""""Amend…" on a confirmed (or processing) order's page: a new quantity per line (0 removes it; not below what
shipped), optionally a product to add with its quantity and unit price, and the reason. One service
(``order_amend``) does it all; its refusal (short stock, below shipped, an issued invoice) is shown as a message
and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from unfold.decorators import action

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import (
    BackofficeForm,
    action_form_page,
    admin_object,
    back_to,
    drawing_buttons,
    run_service,
)

from .. import services
from ..models import Order, OrderLine, with_lines
from ..services.amendments import AMEND_PERMISSION, AMENDABLE_STATUSES


class AmendOrderForm(BackofficeForm):
    """A quantity per line of the order (made for one order by ``amend_order_form``), a product to add, a
    reason. The service checks stock, what shipped and the invoice."""

    order_lines: list[OrderLine] = []

    add_product = forms.CharField(max_length=40, required=False, label="Add a product",
                                  help_text="Its id (prod_…); leave empty to add none.")
    add_quantity = forms.IntegerField(min_value=1, required=False, label="Quantity to add")
    add_unit_price = forms.DecimalField(min_value=Decimal(0), decimal_places=4, max_digits=18, required=False,
                                        label="Unit price of the added product",
                                        help_text="Empty: the customer's price list today, else the product's price.")
    reason = forms.CharField(max_length=255, label="Reason")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("add_product") and not data.get("add_quantity"):
            self.add_error("add_quantity", "Give the quantity of the product to add.")
        return data

    def line_inputs(self) -> list[services.AmendmentLineInput]:
        data = self.cleaned_data
        lines = [services.AmendmentLineInput(product_id=line.product_id, quantity=data[f"quantity_{line.pk}"])
                 for line in self.order_lines if data.get(f"quantity_{line.pk}") is not None]
        if data.get("add_product"):
            lines.append(services.AmendmentLineInput(product_id=data["add_product"].strip(),
                                                     quantity=data["add_quantity"],
                                                     unit_price=data.get("add_unit_price")))
        return lines


def amend_order_form(order: Order) -> type[AmendOrderForm]:
    """The form for ``order``: one quantity field per line, holding its quantity now."""
    lines = list(with_lines(order).lines.all())
    fields: dict[str, Any] = {"order_lines": lines}
    for line in lines:
        fields[f"quantity_{line.pk}"] = forms.IntegerField(
            min_value=0, initial=line.quantity, required=True, label=f"{line.sku} {line.name}",
            help_text=f"Now {line.quantity}; 0 removes the line.")
    return type("AmendOrderForm", (AmendOrderForm,), fields)


class OrderAmendmentsMixin:
    """For ``OrderAdmin``: "Amend…" on confirmed and processing orders (the sales role)."""

    admin_site: admin.AdminSite

    def has_amend_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm(AMEND_PERMISSION):
            return False
        if object_id is None or not drawing_buttons(request):
            return True
        return admin_object(self, request, object_id).status in AMENDABLE_STATUSES

    @action(description="Amend…", url_path="amend", permissions=["amend"], icon="edit_note",
            attrs={"data-action": "amend"})
    def amend(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        form = amend_order_form(order)(request.POST or None)
        if request.method == "POST" and form.is_valid() and run_service(request, lambda: services.order_amend(
                order_id=order.pk, lines=form.line_inputs(), reason=form.cleaned_data["reason"],
                actor=acting_user(request)), f"Order {order.order_number} amended."):
            return back_to(order)
        return action_form_page(self, request, order, form, title=f"Amend {order.order_number}",
                                submit_label="Amend", facts=[("Order", order.order_number),
                                                             ("Customer", str(order.customer)),
                                                             ("Status", order.get_status_display())])
