"""Issue 22's story through the client generated from the served schema, which never reads our code: finance
configures taxes (a reduced class, Germany's 19 % and 7 %, per-line rounding), a German order with a standard and
a reduced line plus shipping is confirmed, its invoice's taxes read, half paid, the reduced line returned and
credited, and the credit note's tax read — every figure computed by hand below.

    desk    1 x 19.99 at 19 %  net 19.99  tax 3.7981 -> 3.80  gross 23.79
    books   2 x 12.95 at  7 %  net 25.90  tax 1.813  -> 1.81  gross 27.71
    DHL     shipping  at 19 %  net  4.90  tax 0.931  -> 0.93  gross  5.83
    invoice  net 50.79 (subtotal 45.89 + charges 4.90), tax 6.54, total 57.33
             USt 19 %: taxable 24.89, tax 4.73; USt 7 %: taxable 25.90, tax 1.81
    half paid 28.66 (57.33 / 2 rounded down): due 28.67
    credit note for the books: net 25.90, tax 1.81 (USt 7 %), total 27.71: due 57.33 - 28.66 - 27.71 = 0.96
"""

from __future__ import annotations

import datetime
import importlib
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import PACKAGE
from tests.api.test_generated_client import Api, _token

# Live server: real transactions; the database is restored (roles included) for the tests after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BERLIN = {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}


class TaxApi(Api):
    """The guide's modules and the tax configuration's."""

    def __init__(self, package: ModuleType) -> None:
        super().__init__(package)
        self.classes_create = importlib.import_module(f"{PACKAGE}.api.taxes.taxes_classes_create")
        self.rates_create = importlib.import_module(f"{PACKAGE}.api.taxes.taxes_rates_create")
        self.settings_update = importlib.import_module(f"{PACKAGE}.api.taxes.taxes_settings_update")


def _rows(rows: list[Any]) -> list[tuple[str, str, str, str, str]]:
    return sorted((r.name, r.rate, r.country, r.taxable_amount, r.tax_amount) for r in rows)


def _items(items: list[Any]) -> list[tuple[str, str, str, str]]:
    return [(i.tax_rate, i.net_amount, i.tax_amount, i.gross_amount) for i in items]


def _configure_taxes(api: TaxApi, finance: Any) -> None:
    m = api.models
    settings = api.settings_update.sync(client=finance, body=m.TaxSettingsRequest(
        prices_include_tax=False, rounding=m.RoundingEnum.LINE))
    assert isinstance(settings, m.TaxSettings) and settings.rounding == "line"
    reduced = api.classes_create.sync(client=finance, body=m.TaxClassInputRequest(code="reduced", name="Reduced"))
    assert isinstance(reduced, m.TaxClass) and reduced.code == "reduced"
    for tax_class, name, percent in (("standard", "USt 19%", "19"), ("reduced", "USt 7%", 7)):
        rate = api.rates_create.sync(client=finance, body=m.TaxRateInputRequest(
            tax_class=tax_class, country="DE", name=name, rate=percent, valid_from=datetime.date(2020, 1, 1)))
        assert isinstance(rate, m.TaxRate) and rate.rate == f"{percent}.0000"


def test_a_taxed_order_invoiced_paid_returned_and_credited_through_the_generated_client(
        client_package: ModuleType, live_server: Any) -> None:
    api = TaxApi(client_package)
    m = api.models
    sales, warehouse, finance = (api.client(live_server.url, _token(role))
                                 for role in ("sales", "warehouse", "finance"))
    # given taxes configured, a German customer, and a desk (standard) and books (reduced)
    _configure_taxes(api, finance)
    customer = api.customers_create.sync(client=sales, body=m.CustomerInputRequest(
        name="Berliner GmbH", email="einkauf@berliner.example", default_shipping_address=m.AddressRequest(**BERLIN)))
    desk = api.products_create.sync(client=warehouse, body=m.ProductInputRequest(
        sku="DESK-DE", name="Desk", price="19.99", currency=m.CurrencyEnum.USD, stock_quantity=5))
    books = api.products_create.sync(client=warehouse, body=m.ProductInputRequest(
        sku="BOOK-DE", name="Books", price="12.95", currency=m.CurrencyEnum.USD, stock_quantity=5,
        tax_class="reduced"))
    assert (desk.tax_class, books.tax_class) == ("standard", "reduced")

    # when sales orders one desk and two books shipped to Berlin with DHL shipping, and confirms it
    order = api.orders_create.sync(client=sales, body=m.OrderCreateInputRequest(
        customer_id=customer.id, currency=m.CurrencyEnum.USD, shipping_address=m.AddressRequest(**BERLIN),
        line_items=[m.LineItemInputRequest(product_id=desk.id, quantity=1),
                    m.LineItemInputRequest(product_id=books.id, quantity=2)],
        charges=[m.ChargeInputRequest(kind=m.ChargeKindEnum.SHIPPING, amount="4.90", description="DHL")]))
    assert isinstance(order, m.Order), order
    assert (order.subtotal, order.charges_total, order.tax_total, order.total) == ("45.89", "4.90", "6.54", "57.33")
    confirmed = api.orders_status.sync(order.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CONFIRMED))
    assert confirmed.status == m.OrderStatusEnum.CONFIRMED

    # then the invoice carries the taxes, item by item and rate by rate
    [invoice] = api.invoices_list.sync(client=finance, order_id=order.id).results
    invoice = api.invoices_retrieve.sync(invoice.id, client=finance)
    assert (invoice.subtotal, invoice.charges_total, invoice.tax_total, invoice.total) == (
        "45.89", "4.90", "6.54", "57.33")
    assert (invoice.prices_include_tax, invoice.tax_rounding, invoice.amount_due) == (False, "line", "57.33")
    assert _items(invoice.line_items) == [("19.0000", "19.99", "3.80", "23.79"),
                                          ("7.0000", "25.90", "1.81", "27.71")]
    assert [(c.kind, c.description) for c in invoice.charges] == [(m.ChargeKindEnum.SHIPPING, "DHL")]
    assert _items(invoice.charges) == [("19.0000", "4.90", "0.93", "5.83")]
    assert _rows(invoice.taxes) == [("USt 19%", "19.0000", "DE", "24.89", "4.73"),
                                    ("USt 7%", "7.0000", "DE", "25.90", "1.81")]

    # when finance is paid half, and the order is delivered
    paid = api.payments_create.sync(client=finance, body=m.PaymentInputRequest(
        invoice_id=invoice.id, amount="28.66", currency=m.CurrencyEnum.USD,
        payment_method=m.PaymentMethodEnum.BANK_TRANSFER, reference="HALF-1"))
    assert isinstance(paid, m.Payment), paid
    assert (paid.invoice.amount_paid, paid.invoice.amount_due) == ("28.66", "28.67")
    for target in (m.OrderStatusEnum.PROCESSING, m.OrderStatusEnum.SHIPPED, m.OrderStatusEnum.DELIVERED):
        extra = {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"} if target == "shipped" else {}
        moved = api.orders_status.sync(order.id, client=warehouse, body=m.OrderStatusInputRequest(
            status=target, **extra))
        assert moved.status == target, moved

    # and the books come back: requested by sales, received by the warehouse, credited by finance
    returned = api.returns_create.sync(order.id, client=sales, body=m.ReturnCreateInputRequest(
        lines=[m.ReturnLineInputRequest(product_id=books.id, quantity=2, restock=True)], reason="damaged"))
    assert isinstance(returned, m.Return), returned
    received = api.returns_status.sync(returned.id, client=warehouse, body=m.ReturnStatusInputRequest(
        status=m.ReturnStatusEnum.RECEIVED))
    assert received.status == m.ReturnStatusEnum.RECEIVED
    credited = api.returns_status.sync(returned.id, client=finance, body=m.ReturnStatusInputRequest(
        status=m.ReturnStatusEnum.CREDITED))
    assert credited.status == m.ReturnStatusEnum.CREDITED

    # then the credit note credits the books' net and their 7 % tax, and the invoice is due the rest
    [note] = api.credit_notes_list.sync(client=finance, invoice_id=invoice.id).results
    assert (note.return_id, note.net_total, note.tax_total, note.total) == (returned.id, "25.90", "1.81", "27.71")
    assert _rows(note.taxes) == [("USt 7%", "7.0000", "DE", "25.90", "1.81")]
    assert [(line.product_id, line.quantity) for line in note.lines] == [(books.id, 2)]
    assert _items(note.lines) == [("7.0000", "25.90", "1.81", "27.71")]
    after = api.invoices_retrieve.sync(invoice.id, client=finance)
    assert (after.tax_total, after.total, after.amount_paid, after.amount_credited, after.amount_due) == (
        "6.54", "57.33", "28.66", "27.71", "0.96")
