"""Amending an order in the back-office, reached by clicking from the index: a sales user opens a confirmed order
from "Orders", presses "Amend…", raises one line, removes another and adds a product; the order, its stock and its
draft invoice follow. A refused amendment (short stock) is shown as a message and changes nothing; the button is
drawn only for roles that may amend, on confirmed and processing orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from billing.models import Invoice, InvoiceLine
from inventory.models import Product
from sales.models import Order, OrderEvent
from tests.admin.helpers import button_link, data_attrs, messages_text, page_form
from tests.admin.navigation import open_from_index
from tests.factories import OrderFactory, ProductFactory
from tests.helpers import rows_of
from tests.sales.helpers import db_state

pytestmark = pytest.mark.django_db


def amend(client: Client, order_page: Any, order: Order, *, quantities: dict[str, int], add: tuple[str, int] | None,
          reason: str = "customer called") -> Any:
    """Press "Amend…", set each line's quantity, maybe a product to add, the reason, and submit."""
    form_page = client.get(button_link(order_page, "action", "amend"))
    assert form_page.status_code == 200
    data = page_form(form_page, "action-form")
    lines = {line.product_id: line.pk for line in order.lines.all()}
    data.update({f"quantity_{lines[product]}": str(quantity) for product, quantity in quantities.items()})
    data.update({"reason": reason, "add_product": add[0] if add else "", "add_quantity": str(add[1]) if add else ""})
    token = form_page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    return client.post(button_link(order_page, "action", "amend"), {**data, "csrfmiddlewaretoken": token},
                       follow=True)


def two_line_order() -> tuple[Order, Product, Product]:
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    return OrderFactory(lines=[(a, 2), (b, 1)], status="confirmed"), a, b


def test_a_sales_user_amends_a_confirmed_order_by_clicking(login: Callable[..., Client]) -> None:
    # given a confirmed order of 2 A and 1 B, and a product C
    order, a, b = two_line_order()
    c = ProductFactory(stock=10)
    client = login("sales")
    # when the sales user opens it from "Orders" and amends it: A to 3, B removed, 4 C added
    page = open_from_index(client, "Orders", order.order_number)
    assert "amend" in data_attrs(page, "action")
    done = amend(client, page, order, quantities={a.pk: 3, b.pk: 0}, add=(c.pk, 4))
    # then it says so, and the order, the stock and the draft invoice follow
    assert f"Order {order.order_number} amended." in messages_text(done, "success")
    assert list(Order.objects.get(pk=order.pk).lines.order_by("position").values_list("product_id", "quantity")) \
        == [(a.pk, 3), (c.pk, 4)]
    assert [Product.objects.get(pk=p.pk).stock_quantity for p in (a, b, c)] == [7, 10, 6]
    invoice = Invoice.objects.get(order_id=order.pk)
    assert list(invoice.lines.filter(kind="product").values_list("product_id", "quantity")) == [(a.pk, 3),
                                                                                                 (c.pk, 4)]
    assert invoice.total == Order.objects.get(pk=order.pk).total
    assert OrderEvent.objects.filter(order=order, kind="amended", reason="customer called").count() == 1


def test_a_refused_amendment_changes_nothing(login: Callable[..., Client]) -> None:
    # given a confirmed order of 2 A (8 of A left)
    order, a, _b = two_line_order()
    client = login("sales")
    page = open_from_index(client, "Orders", order.order_number)
    before = {**db_state(), **rows_of(Invoice, InvoiceLine)}
    # when A is asked up to 50
    done = amend(client, page, order, quantities={a.pk: 50}, add=None)
    # then the refusal names the short stock and nothing changed
    assert "stock" in messages_text(done, "error").lower()
    assert {**db_state(), **rows_of(Invoice, InvoiceLine)} == before


def test_the_button_is_for_roles_that_amend_and_orders_that_may_be(login: Callable[..., Client]) -> None:
    order, *_products = two_line_order()
    draft = OrderFactory()
    # the warehouse sees no "Amend…"
    assert "amend" not in data_attrs(open_from_index(login("warehouse"), "To pick", order.order_number), "action")
    # and sales sees none on a draft
    client = login("sales")
    assert "amend" not in data_attrs(open_from_index(client, "Drafts to confirm", draft.order_number), "action")
