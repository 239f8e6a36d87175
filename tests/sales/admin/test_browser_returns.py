"""A return's day in a real browser (Debian's Chromium, driven by Playwright), by clicking only: each user signs in
and reaches every page from the admin index through links and buttons, never by typing a URL.

- sales requests a return of one desk from a delivered, paid order's page;
- the warehouse receives it from "Returns to receive" (the desk back into stock);
- finance credits it from "Returns to credit", follows the return to its credit note and the note to its invoice,
  opens the payment from the invoice and refunds the paid difference from the payment's page (more than is owed
  is refused first, changing nothing);
- sales cancelling a confirmed order whose invoice carries a credit note is refused in words naming the invoice and
  the credit note by number, changing nothing.

The figures each page shows are asserted (the credit note's total, the invoice's amounts after the refund), then
the state in the database. Every page reached is checked with ``assert_page_sound`` (no 403, 404 or 500).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from billing.models import CreditNote, Invoice, InvoiceStatus, Refund
from inventory.models import Product, StockMovement
from sales.models import Order, OrderStatus, Return, ReturnStatus
from tests.admin.helpers import (
    BROWSER_TEST,
    PASSWORD,
    assert_page_sound,
    message,
    open_row,
    press,
    shot,
    sidebar,
    sign_in,
)
from tests.factories import CreditNoteFactory, CustomerFactory, InvoiceFactory, ProductFactory, UserFactory

pytestmark = BROWSER_TEST


def field(page: Any, label: str) -> str:
    """The value the page shows for the read-only field labelled ``label`` (as staff read it: label, value)."""
    line = page.locator(".field-line").filter(has=page.locator("label", has_text=re.compile(rf"^{re.escape(label)}$")))
    return str(line.locator(".readonly").first.inner_text()).strip()


def follow(page: Any, text: str) -> None:
    """Click the first link showing ``text`` in the page's content (a field's link, an inline row's link)."""
    page.locator("#content a, main a", has_text=text).first.click()
    page.wait_for_load_state()
    assert_page_sound(page)


def test_a_return_credited_and_refunded(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given an order of 2 desks at 129.99 delivered to Acme and paid in full (259.98, reference TXN-ACME), the
    # desks' stock 8 after it, and a sales, a warehouse and a finance login
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", price=Decimal("129.99"), stock=10)
    invoice = InvoiceFactory(status=InvoiceStatus.PAID, order_status=OrderStatus.DELIVERED, lines=[(desk, 2)],
                             customer=CustomerFactory(name="Acme Retail"))
    order = Order.objects.get(pk=invoice.order_id)
    payment = invoice.payments.get()
    payment.reference = "TXN-ACME"
    payment.save(update_fields=["reference"])
    line = order.lines.get()
    for username, role in (("sam", "sales"), ("wes", "warehouse"), ("fay", "finance")):
        UserFactory(username=username, staff=True, roles=[role], password=PASSWORD)
    assert Product.objects.get(pk=desk.pk).stock_quantity == 8

    # when sales opens the order from the orders list and requests a return of one scratched desk
    sign_in(page, live_server, "sam")
    sidebar(page, "Orders")
    open_row(page, order.order_number)
    press(page, "[data-action=request-return]")
    page.fill(f"#id_quantity_{line.pk}", "1")
    assert page.is_checked(f"#id_restock_{line.pk}")
    page.fill("#id_reason", "scratched top")
    shot(page, "returns-01-request-form")
    press(page, "[data-submit=action]")

    # then the return is requested for that desk, at the order's price, and sales lands on its page
    return_ = Return.objects.get(order=order)
    assert f"Return requested for order {order.order_number}." in message(page, "success")
    assert f"Return {return_.return_number}: receive it when the goods arrive." in message(page, "info")
    assert (field(page, "Value"), field(page, "Reason")) == ("129.99 USD", "scratched top")
    shot(page, "returns-02-requested")
    assert (return_.status, return_.value) == (ReturnStatus.REQUESTED, Decimal("129.99"))

    # when the warehouse opens it from "Returns to receive" and receives it
    sign_in(page, live_server, "wes")
    sidebar(page, "Returns to receive")
    open_row(page, return_.return_number)
    press(page, "[data-move=received]")

    # then it is received and the desk is back in stock, with a ``return`` row in the ledger
    assert f"Return {return_.return_number} received" in message(page, "success")
    shot(page, "returns-03-received")
    assert Return.objects.get(pk=return_.pk).status == ReturnStatus.RECEIVED
    assert Product.objects.get(pk=desk.pk).stock_quantity == 9
    assert StockMovement.objects.filter(product=desk, kind="return", reference=return_.pk).count() == 1

    # when finance opens it from "Returns to credit" and credits it
    sign_in(page, live_server, "fay")
    sidebar(page, "Returns to credit")
    open_row(page, return_.return_number)
    press(page, "[data-move=credited]")
    assert f"Return {return_.return_number} credited." in message(page, "success")
    note = CreditNote.objects.get(sales_return=return_)
    shot(page, "returns-04-credited")

    # then the return links its credit note, whose page shows its total and the return
    follow(page, note.number)
    assert (field(page, "Number"), field(page, "Total")) == (note.number, "129.99 USD")
    assert field(page, "Return") == return_.return_number
    shot(page, "returns-05-credit-note")

    # and the note's invoice shows it credited, with the paid difference refundable
    follow(page, invoice.number)
    assert (field(page, "Total"), field(page, "Paid"), field(page, "Credited"), field(page, "Refundable"),
            field(page, "Amount due")) == (
        "259.98 USD", "259.98 USD", "129.99 USD", "129.99 USD", "0.00 USD")
    shot(page, "returns-06-invoice-credited")

    # when finance opens the payment from the invoice and refunds more than is owed back
    follow(page, "TXN-ACME")
    press(page, "[data-action=refund]")
    page.fill("#id_amount", "130.00")
    page.fill("#id_reason", "returned desk")
    page.fill("#id_reference", "RF-ACME-1")
    press(page, "[data-submit=action]")

    # then it is refused, naming what is owed back, and nothing is refunded
    assert "129.99" in message(page, "error")
    shot(page, "returns-07-refund-refused")
    assert not Refund.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).amount_refunded == 0

    # when finance refunds the 129.99 owed back
    page.fill("#id_amount", "129.99")
    page.fill("#id_reason", "returned desk")
    page.fill("#id_reference", "RF-ACME-1")
    press(page, "[data-submit=action]")

    # then the payment's page shows the refund, and the invoice has nothing due and nothing left to refund
    assert "Refund of 129.99 USD recorded." in message(page, "success")
    assert field(page, "Refunded") == "129.99 USD"
    shot(page, "returns-08-refunded")
    follow(page, invoice.number)
    assert (field(page, "Credited"), field(page, "Refunded"), field(page, "Amount due"),
            field(page, "Refundable")) == (
        "129.99 USD", "129.99 USD", "0.00 USD", "0.00 USD")
    shot(page, "returns-09-invoice-refunded")

    # and the database agrees: the return credited by its one credit note, one refund on the payment, the invoice
    # paid with 129.99 credited and refunded, the desk back in stock, the order still delivered
    assert Return.objects.get(pk=return_.pk).status == ReturnStatus.CREDITED
    assert (note.invoice_id, note.total, note.created_by.username if note.created_by else None) == (
        invoice.pk, Decimal("129.99"), "fay")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount, refund.reference, refund.reason) == (
        payment.pk, Decimal("129.99"), "RF-ACME-1", "returned desk")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_paid, stored.amount_credited, stored.amount_refunded, stored.amount_due,
            stored.amount_refundable) == (InvoiceStatus.PAID, Decimal("259.98"), Decimal("129.99"),
                                          Decimal("129.99"), Decimal("0.00"), Decimal("0.00"))
    assert Product.objects.get(pk=desk.pk).stock_quantity == 9
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_cancelling_an_order_whose_invoice_carries_credit_is_refused_in_words(browser_page: Any,
                                                                             live_server: Any) -> None:
    page = browser_page
    # given a confirmed order whose invoice finance credited 25.00 as goodwill (which issued it), and a sales login
    invoice = InvoiceFactory(customer=CustomerFactory(name="Acme Retail"))
    note = CreditNoteFactory(invoice=invoice, amount=Decimal("25.00"))
    invoice.refresh_from_db()
    order = Order.objects.get(pk=invoice.order_id)
    stock = Product.objects.get(pk=order.lines.get().product_id).stock_quantity
    UserFactory(username="sam", staff=True, roles=["sales"], password=PASSWORD)

    # when sales opens the order and cancels it
    sign_in(page, live_server, "sam")
    sidebar(page, "Orders")
    open_row(page, order.order_number)
    press(page, "[data-move=cancelled]")
    page.fill("#id_reason", "Customer changed their mind")
    press(page, "[data-submit=action]")

    # then the refusal names the invoice and its credit note by number, and the order is as it was
    refusal = message(page, "error")
    shot(page, "returns-10-cancel-credited-refused")
    assert refusal == (f"Order {order.order_number} cannot be cancelled: its invoice {invoice.number} has been "
                       f"credited (25.00 USD by {note.number}), and a credited invoice is never voided.")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_credited) == (InvoiceStatus.ISSUED, Decimal("25.00"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert Product.objects.get(pk=order.lines.get().product_id).stock_quantity == stock
