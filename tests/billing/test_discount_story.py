"""Issue 23's "Done when", through the API: a key account with its price list orders 120 units at a quantity
break, gets a 5 % line discount from the sales role and uses a promotion code; the order, the invoice, the
printable page, the PDF, the events (order.confirmed, invoice.created, invoice.issued) and the tax report show
the same figures to the cent, computed here by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.documents import invoice_html
from billing.models import Invoice
from integrations.models import Event
from tests.admin.navigation import text_of
from tests.factories import CustomerFactory, PriceListFactory, PromotionCodeFactory
from tests.sales.helpers import ORDERS_URL, status_url
from tests.taxes.helpers import BERLIN, rate, tax_settings

from .helpers import invoice_url
from .tax_helpers import product
from .test_discounted_documents import words
from .test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db

# By hand, 19 % on both lines, line rounding:
#   widgets: list price 12.00, the key account's list 11.00 from 1 unit, 9.50 from 100: 120 x 9.50 = 1140.00;
#     5 % off by sales = 57.00, leaves 1083.00
#   cables: 2 x 40.00 = 80.00 (no entry in the list: the product's price)
#   code KEY10, 10 % of 1083.00 + 80.00 = 1163.00 = 116.30, spread 1083.00 : 80.00 -> 108.30 and 8.00
#   nets 974.70 and 72.00 (1046.70); tax 974.70 x 19 % = 185.193 -> 185.19, 72.00 x 19 % = 13.68 (198.87)
#   total 1245.57; discounts 57.00 + 116.30 = 173.30
LINES = [{"list_price": "12.00", "unit_price": "9.50", "quantity": 120, "line_total": "1140.00",
          "discount": {"type": "percent", "value": "5", "reason": "key account", "amount": "57.00"},
          "order_discount_amount": "108.30", "net_amount": "974.70", "tax_amount": "185.19",
          "gross_amount": "1159.89"},
         {"list_price": "40.00", "unit_price": "40.00", "quantity": 2, "line_total": "80.00", "discount": None,
          "order_discount_amount": "8.00", "net_amount": "72.00", "tax_amount": "13.68", "gross_amount": "85.68"}]
TOTALS = {"promotion_code": "KEY10", "promotion_discount": "116.30", "discount_total": "173.30",
          "subtotal": "1046.70", "tax_total": "198.87", "total": "1245.57"}
PRINTED = ["120 12.00 9.50 USD 19.00% 1140.00 USD -57.00 5% (key account) -108.30 974.70 185.19",
           "2 40.00 40.00 USD 19.00% 80.00 USD -0.00 -8.00 72.00 13.68", "Lines before discounts 1220.00 USD",
           "Promotion code KEY10 -116.30 USD", "Discounts total -173.30 USD", "Subtotal (net) 1046.70 USD",
           "Tax 198.87 USD", "Total 1245.57 USD", "USt 19% (DE) 19.00% 1046.70 USD 198.87 USD"]


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return dict(response.json())


def figures(document: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A rendered order or invoice's lines and totals, as compared here."""
    lines = [{key: line[key] for key in LINES[0]} for line in document["line_items"]]
    return lines, {key: document[key] for key in TOTALS}


def test_a_key_account_s_discounted_order_shows_the_same_figures_everywhere(
        client_for: Callable[..., APIClient]) -> None:
    # given 19 % on the standard class, a key account with its price list (a break at 100 widgets) and a code
    rate("19", name="USt 19%")
    tax_settings()
    widget, cable = product("12.00"), product("40.00")
    key_account = CustomerFactory(price_list=PriceListFactory(entries=[(widget, 1, "11.00"), (widget, 100, "9.50")]),
                                  default_shipping_address=BERLIN)
    PromotionCodeFactory(code="KEY10")
    sales, finance = client_for("sales"), client_for("finance")
    # when sales orders 120 widgets with 5 % off and 2 cables, with the code, and confirms; finance issues
    order = ok(sales.post(ORDERS_URL, {
        "customer_id": key_account.pk, "currency": "USD", "shipping_address": BERLIN, "promotion_code": "key10",
        "line_items": [{"product_id": widget.pk, "quantity": 120,
                        "discount": {"type": "percent", "value": "5", "reason": "key account"}},
                       {"product_id": cable.pk, "quantity": 2}]}, format="json"), 201)
    ok(sales.patch(status_url(order["id"]), {"status": "confirmed"}, format="json"))
    invoice_id = Invoice.objects.get(order_id=order["id"]).pk
    ok(finance.patch(invoice_url(invoice_id, "/status"), {"status": "issued"}, format="json"))
    order = ok(sales.get(f"{ORDERS_URL}/{order['id']}"))
    invoice = ok(finance.get(invoice_url(invoice_id)))
    # then the order and the invoice show the figures computed by hand
    assert figures(order) == figures(invoice) == (LINES, TOTALS)
    assert order["line_items"][0]["price_list_id"] == key_account.price_list_id
    # and the events carry them
    events = {kind: Event.objects.get(type=kind, object_id=object_id).data["object"]
              for kind, object_id in (("order.confirmed", order["id"]), ("invoice.created", invoice_id),
                                      ("invoice.issued", invoice_id))}
    assert {kind: figures(obj) for kind, obj in events.items()} == dict.fromkeys(events, (LINES, TOTALS))
    # and the printable page and the PDF print them
    pdf = words(pdf_text(finance.get(invoice_url(invoice_id, "/pdf")).content))
    page = words(text_of(invoice_html(Invoice.objects.get(pk=invoice_id))))
    for text in (pdf, page):
        for expected in PRINTED:
            assert expected.lower() in text.lower(), (expected, text)
    # and the tax report of the month shows the discounted taxable amount and the tax
    day = invoice["issued_at"][:10]
    report = ok(finance.get(f"/api/v1/sales/reports/tax?from={day[:8]}01&to={day}"))
    assert [(row["name"], row["taxable_amount"], row["tax_amount"]) for row in report["rows"]] == [
        ("USt 19%", "1046.70", "198.87")]
