"""A taxed order's documents in a real browser (Debian's Chromium, driven by Playwright), by clicking only from the
admin index: a German customer's delivered order of a desk (19 %), two books (7 %) and DHL shipping (19 %);
finance opens it, follows it to its invoice and records half; sales requests a return of the books; the warehouse
receives it; finance credits it and follows the return to its credit note and the note to its invoice. The tax
figures each page shows are computed by hand:

    desk    1 x 19.99 at 19 %  tax 3.7981 -> 3.80
    books   2 x 12.95 at  7 %  tax 1.813  -> 1.81
    DHL         4.90  at 19 %  tax 0.931  -> 0.93
    order and invoice: subtotal 45.89, charges 4.90, tax 6.54 (USt 19% 4.73, USt 7% 1.81), total 57.33
    half paid 28.66: due 28.67; the books credited: net 25.90, tax 1.81, total 27.71: due 0.96
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing.models import CreditNote, Invoice
from sales.models import Order, OrderStatus, Return, ReturnStatus
from tests.admin.helpers import (
    BROWSER_TEST,
    PASSWORD,
    message,
    open_row,
    press,
    shot,
    sidebar,
    sign_in,
)
from tests.billing.tax_helpers import BERLIN, german_rates, product, tax_settings, taxed_order
from tests.factories import CustomerFactory, UserFactory
from tests.sales.admin.test_browser_returns import field, follow

pytestmark = BROWSER_TEST
D = Decimal
TAX = "charges 4.90 USD · tax 6.54 USD (USt 19% 4.73, USt 7% 1.81)"


def test_a_taxed_order_invoiced_paid_returned_and_credited(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given German rates rounded per line, and the order delivered to a Berlin customer; sales, warehouse and
    # finance logins
    german_rates()
    tax_settings(rounding="line")
    desk, books = product("19.99"), product("12.95", tax_class="reduced")
    order = taxed_order([(desk, 1), (books, 2)], customer=CustomerFactory(name="Berliner GmbH"), address=BERLIN,
                        charges=[{"kind": "shipping", "amount": "4.90", "description": "DHL"}])
    invoice = Invoice.objects.get(order=order)
    books_line = order.lines.get(product=books)
    desk_line = order.lines.get(product=desk)
    for username, role in (("sam", "sales"), ("wes", "warehouse"), ("fay", "finance")):
        UserFactory(username=username, staff=True, roles=[role], password=PASSWORD)

    # when finance opens the order from the orders list
    sign_in(page, live_server, "fay")
    sidebar(page, "Orders")
    open_row(page, order.order_number)
    # then it shows the subtotal, the charges and the tax per rate, and the total
    assert (field(page, "Subtotal"), field(page, "Charges and tax"), field(page, "Total")) == (
        "45.89 USD", TAX, "57.33 USD")
    shot(page, "taxes-01-order")

    # when finance opens its draft invoice from it, which shows the same figures, issues it and records half
    press(page, "a:has-text('Open invoice')")
    assert (field(page, "Charges and tax"), field(page, "Total"), field(page, "Amount due")) == (
        TAX, "57.33 USD", "57.33 USD")
    press(page, "[data-action=issue]")
    assert "Invoice issued." in message(page, "success")
    invoice.refresh_from_db()
    press(page, "[data-action=record-payment]")
    page.fill("#id_amount", "28.66")
    page.select_option("#id_payment_method", "bank_transfer")
    page.fill("#id_reference", "HALF-DE")
    press(page, "[data-submit=action]")
    # then the invoice is half paid, its tax unchanged
    assert "Payment of 28.66 USD recorded." in message(page, "success")
    sidebar(page, "Invoices")
    open_row(page, invoice.number)
    assert (field(page, "Charges and tax"), field(page, "Paid"), field(page, "Amount due")) == (
        TAX, "28.66 USD", "28.67 USD")
    shot(page, "taxes-02-invoice-half-paid")

    # when sales requests a return of the two books from the order's page
    sign_in(page, live_server, "sam")
    sidebar(page, "Orders")
    open_row(page, order.order_number)
    press(page, "[data-action=request-return]")
    page.fill(f"#id_quantity_{desk_line.pk}", "0")
    page.fill(f"#id_quantity_{books_line.pk}", "2")
    page.fill("#id_reason", "damaged in transit")
    press(page, "[data-submit=action]")
    return_ = Return.objects.get(order=order)
    assert f"Return requested for order {order.order_number}." in message(page, "success")

    # and the warehouse receives it from "Returns to receive", and finance credits it from "Returns to credit"
    sign_in(page, live_server, "wes")
    sidebar(page, "Returns to receive")
    open_row(page, return_.return_number)
    press(page, "[data-move=received]")
    assert f"Return {return_.return_number} received" in message(page, "success")
    sign_in(page, live_server, "fay")
    sidebar(page, "Returns to credit")
    open_row(page, return_.return_number)
    press(page, "[data-move=credited]")
    assert f"Return {return_.return_number} credited." in message(page, "success")
    note = CreditNote.objects.get(sales_return=return_)

    # then the credit note credits the books' net and their 7 % tax
    follow(page, note.number)
    assert (field(page, "Net and tax"), field(page, "Total")) == (
        "net 25.90 USD · tax 1.81 USD (USt 7% 1.81)", "27.71 USD")
    shot(page, "taxes-03-credit-note")
    # and its invoice keeps its tax, credited 27.71 with 0.96 left to pay
    follow(page, invoice.number)
    assert (field(page, "Charges and tax"), field(page, "Total"), field(page, "Paid"), field(page, "Credited"),
            field(page, "Amount due")) == (TAX, "57.33 USD", "28.66 USD", "27.71 USD", "0.96 USD")
    shot(page, "taxes-04-invoice-credited")

    # and the database agrees
    assert Return.objects.get(pk=return_.pk).status == ReturnStatus.CREDITED
    assert (note.net_total, note.tax_total, note.total) == (D("25.90"), D("1.81"), D("27.71"))
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.tax_total, stored.total, stored.amount_paid, stored.amount_credited, stored.amount_due) == (
        D("6.54"), D("57.33"), D("28.66"), D("27.71"), D("0.96"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
