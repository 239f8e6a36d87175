"""Sales' refusals and references in staff's words (see ``synthesq.core.admin_messages``): SKUs instead of
product ids, and orders and returns named by their numbers, linked, wherever another app shows their ids (the
stock ledger's references)."""

from __future__ import annotations

from django.utils.html import format_html

from synthesq.core.admin_messages import object_namer, staff_wording
from synthesq.core.admin_tools import admin_link

from ..exceptions import ReturnQuantityExceeded
from ..models import Order, Return


@staff_wording(ReturnQuantityExceeded)
def return_quantity_exceeded(exc: ReturnQuantityExceeded) -> str:
    return "More than can still be returned: " + "; ".join(
        f"{line['sku']}: {line['requested']} asked back, {line['returnable']} returnable" for line in exc.extra["lines"]
    ) + "."


@object_namer("ord")
def order_numbers(ids: list[str]) -> dict[str, str]:
    return {pk: format_html("Order {}", admin_link("admin:sales_order_change", pk, number))
            for pk, number in Order.objects.filter(pk__in=ids).values_list("pk", "order_number")}


@object_namer("ret")
def return_numbers(ids: list[str]) -> dict[str, str]:
    return {pk: format_html("Return {}", admin_link("admin:sales_return_change", pk, number))
            for pk, number in Return.objects.filter(pk__in=ids).values_list("pk", "return_number")}
