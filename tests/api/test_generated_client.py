"""The guide's whole story through a Python client generated from the served schema, and nothing else.

openapi-python-client generates the client into a temporary directory at test time (generated code is never
committed), with the repository's ``openapi-python-client.yaml``, and must not print a single warning: a warning
means a piece of the API is missing from the client (it once silently dropped both list endpoints). The story
then runs against a live server with one token per role, reading every answer — problems included — as the
typed objects the schema promises.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from synthesq.core.services import api_token_create
from tests.api.conftest import PACKAGE
from tests.factories import UserFactory

# Live server: real transactions; the database is restored (roles included) for the tests after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GUIDE_ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701",
                 "country": "US"}


class Api:
    """The generated modules, by the names a reader of the guide would look for."""

    def __init__(self, package: ModuleType) -> None:
        def load(name: str) -> ModuleType:
            return importlib.import_module(f"{PACKAGE}.{name}")

        self.package = package
        self.models = load("models")
        self.customers_create = load("api.customers.sales_customers_create")
        self.customers_list = load("api.customers.sales_customers_list")
        self.customers_retrieve = load("api.customers.sales_customers_retrieve")
        self.customers_patch = load("api.customers.sales_customers_partial_update")
        self.products_create = load("api.products.inventory_products_create")
        self.orders_create = load("api.orders.sales_orders_create")
        self.orders_list = load("api.orders.sales_orders_list")
        self.orders_status = load("api.orders.sales_orders_status_partial_update")
        self.invoices_list = load("api.invoices.sales_invoices_list")
        self.invoices_retrieve = load("api.invoices.sales_invoices_retrieve")
        self.payments_create = load("api.payments.sales_payments_create")
        self.returns_create = load("api.returns.sales_orders_returns_create")
        self.returns_status = load("api.returns.sales_returns_status_partial_update")
        self.returns_retrieve = load("api.returns.sales_returns_retrieve")
        self.credit_notes_create = load("api.credit_notes.sales_credit_notes_create")
        self.credit_notes_list = load("api.credit_notes.sales_credit_notes_list")
        self.refunds_create = load("api.refunds.sales_refunds_create")

    def client(self, base_url: str, token: str) -> Any:
        return self.package.AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def _token(*roles: str) -> str:
    _row, plain = api_token_create(user=UserFactory(roles=list(roles)))
    return plain


def _cursor(next_url: str | None) -> str | None:
    return parse_qs(urlparse(next_url).query)["cursor"][0] if next_url else None


def test_the_guide_runs_through_a_client_generated_from_the_schema(client_package: ModuleType,
                                                                   live_server: Any) -> None:
    api = Api(client_package)
    m = api.models
    sales = api.client(live_server.url, _token("sales"))
    warehouse = api.client(live_server.url, _token("warehouse"))
    finance = api.client(live_server.url, _token("finance"))

    # a customer and the products the guide sells
    customer = api.customers_create.sync(client=sales, body=m.CustomerInputRequest(
        name="Acme", email="orders@acme.example", default_shipping_address=m.AddressRequest(**GUIDE_ADDRESS)))
    assert isinstance(customer, m.Customer) and customer.id.startswith("cust_")
    desk = api.products_create.sync(client=warehouse, body=m.ProductInputRequest(
        sku="DESK-XL", name="XL desk", price=129.99, currency=m.CurrencyEnum.USD, stock_quantity=10))
    lamp = api.products_create.sync(client=warehouse, body=m.ProductInputRequest(
        sku="LAMP-1", name="Lamp", price="19.50", currency=m.CurrencyEnum.USD, stock_quantity=1))
    assert isinstance(desk, m.Product) and desk.stock_quantity == 10

    # Stage 1: a draft with the guide's body
    guide_body = m.OrderCreateInputRequest(
        customer_id=customer.id, currency=m.CurrencyEnum.USD,
        line_items=[m.LineItemInputRequest(product_id=desk.id, quantity=2, unit_price=129.99)],
        shipping_address=m.AddressRequest(**GUIDE_ADDRESS),
    )
    order = api.orders_create.sync(client=sales, body=guide_body)
    assert isinstance(order, m.Order)
    assert (order.status, order.total, order.order_number[:3]) == (m.OrderStatusEnum.DRAFT, "259.98", "SO-")

    # Stage 2: confirming more than the stock is a 422 whose lines the client reads as typed objects
    short = api.orders_create.sync(client=sales, body=m.OrderCreateInputRequest(
        customer_id=customer.id, currency=m.CurrencyEnum.USD,
        line_items=[m.LineItemInputRequest(product_id=lamp.id, quantity=5)]))
    refused = api.orders_status.sync(short.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CONFIRMED))
    assert isinstance(refused, m.InsufficientStockProblem)
    assert refused.status == 422 and refused.code.value == "insufficient_stock"
    [line] = refused.lines
    assert isinstance(line, m.InsufficientStockLine)
    assert (line.product_id, line.requested, line.available) == (lamp.id, 5, 1)
    # and the guide's order confirms
    confirmed = api.orders_status.sync(order.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CONFIRMED))
    assert confirmed.status == m.OrderStatusEnum.CONFIRMED

    # Stages 3-5: processing, shipped with the guide's tracking data, delivered
    processing = api.orders_status.sync(order.id, client=warehouse, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.PROCESSING))
    assert processing.status == m.OrderStatusEnum.PROCESSING
    # (the guide's "orders awaiting shipment" query finds it)
    awaiting = api.orders_list.sync(client=warehouse, status=[m.SalesOrdersListStatusItem.PROCESSING],
                                    sort=[m.SalesOrdersListSortItem("-created_at")])
    assert [o.id for o in awaiting.results] == [order.id]
    shipped = api.orders_status.sync(order.id, client=warehouse, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.SHIPPED, tracking_number="1Z999AA10123456784", carrier="UPS"))
    assert (shipped.status, shipped.tracking_number, shipped.carrier) == (
        m.OrderStatusEnum.SHIPPED, "1Z999AA10123456784", "UPS")
    delivered = api.orders_status.sync(order.id, client=warehouse, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.DELIVERED))
    assert delivered.status == m.OrderStatusEnum.DELIVERED

    # the invoice, found by order_id as the guide does
    invoices = api.invoices_list.sync(client=finance, order_id=order.id)
    [invoice] = invoices.results
    assert (invoice.total, invoice.amount_due) == ("259.98", "259.98")

    # a partial payment, then the rest (the guide's body)
    partial = api.payments_create.sync(client=finance, body=m.PaymentInputRequest(
        invoice_id=invoice.id, amount=100, currency=m.CurrencyEnum.USD,
        payment_method=m.PaymentMethodEnum.BANK_TRANSFER, reference="TXN-20260128-000"))
    assert isinstance(partial, m.Payment)
    assert (partial.invoice.amount_paid, partial.invoice.amount_due) == ("100.00", "159.98")
    # paying more than is due is a 422 the client reads with its amounts
    over = api.payments_create.sync(client=finance, body=m.PaymentInputRequest(
        invoice_id=invoice.id, amount=259.98, currency=m.CurrencyEnum.USD,
        payment_method=m.PaymentMethodEnum.BANK_TRANSFER, reference="TXN-20260128-002"))
    assert isinstance(over, m.OverpaymentProblem) and over.status == 422
    rest = api.payments_create.sync(client=finance, body=m.PaymentInputRequest(
        invoice_id=invoice.id, amount=159.98, currency=m.CurrencyEnum.USD,
        payment_method=m.PaymentMethodEnum.BANK_TRANSFER, reference="TXN-20260128-001"))
    assert rest.invoice.status == m.InvoiceStatusEnum.PAID and rest.invoice.amount_due == "0.00"

    # a return of one desk: requested by sales, received by the warehouse, credited by finance
    returned = api.returns_create.sync(order.id, client=sales, body=m.ReturnCreateInputRequest(
        lines=[m.ReturnLineInputRequest(product_id=desk.id, quantity=1, restock=True)], reason="scratched"))
    assert isinstance(returned, m.Return)
    assert (returned.status, returned.value, returned.return_number[:4]) == (m.ReturnStatusEnum.REQUESTED,
                                                                           "129.99", "RMA-")
    # (finance read it before the warehouse received it: crediting that version is a typed 412, the current works)
    read_early = api.returns_retrieve.sync_detailed(returned.id, client=finance).headers["ETag"]
    received = api.returns_status.sync(returned.id, client=warehouse, body=m.ReturnStatusInputRequest(
        status=m.ReturnStatusEnum.RECEIVED))
    assert isinstance(received, m.Return) and received.status == m.ReturnStatusEnum.RECEIVED
    stale_credit = api.returns_status.sync_detailed(returned.id, client=finance, if_match=read_early,
                                                    body=m.ReturnStatusInputRequest(status=m.ReturnStatusEnum.CREDITED))
    assert isinstance(stale_credit.parsed, m.PreconditionFailedProblem) and stale_credit.status_code == 412
    credited = api.returns_status.sync(returned.id, client=finance, if_match=stale_credit.parsed.current_etag,
                                       body=m.ReturnStatusInputRequest(status=m.ReturnStatusEnum.CREDITED))
    assert isinstance(credited, m.Return) and credited.status == m.ReturnStatusEnum.CREDITED
    [note] = api.credit_notes_list.sync(client=finance, invoice_id=invoice.id).results
    assert (note.total, note.return_id, note.number[:3]) == ("129.99", returned.id, "CN-")
    # and the paid difference refunded; more than the credit made owed is a typed 422
    too_much = api.refunds_create.sync(client=finance, body=m.RefundInputRequest(
        payment_id=rest.id, amount="130.00", reason="returned desk", reference="RF-1"))
    assert isinstance(too_much, m.RefundExceedsCreditProblem) and too_much.status == 422
    refund = api.refunds_create.sync(client=finance, body=m.RefundInputRequest(
        payment_id=rest.id, amount="129.99", reason="returned desk", reference="RF-1"))
    assert isinstance(refund, m.Refund) and refund.id.startswith("ref_")
    after = api.invoices_retrieve.sync(invoice.id, client=finance)
    assert (after.amount_credited, after.amount_refunded, after.amount_due, after.amount_refundable) == (
        "129.99", "129.99", "0.00", "0.00")

    # close: inside the return window it is a 409 with its end, then finance waives it
    early = api.orders_status.sync(order.id, client=finance, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CLOSED))
    assert isinstance(early, m.ReturnWindowOpenProblem) and early.return_window_ends_at is not None
    closed = api.orders_status.sync(order.id, client=finance, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CLOSED, waive_return_window=True))
    assert closed.status == m.OrderStatusEnum.CLOSED and closed.allowed_statuses == []

    # Cancellations: another order, cancelled with the guide's reason
    cancelled = api.orders_status.sync(short.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CANCELLED, reason="Customer requested cancellation"))
    assert (cancelled.status, cancelled.cancellation_reason) == (
        m.OrderStatusEnum.CANCELLED, "Customer requested cancellation")
    # and a move the lifecycle does not allow is a typed 409
    again = api.orders_status.sync(short.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CONFIRMED))
    assert isinstance(again, m.InvalidTransitionProblem)
    assert (again.current_status, again.requested_status, again.allowed_statuses) == ("cancelled", "confirmed", [])

    # the guide's "all open orders for a customer"
    open_ids = set()
    for status in ("draft", "confirmed"):
        draft = api.orders_create.sync(client=sales, body=guide_body)
        if status == "confirmed":
            api.orders_status.sync(draft.id, client=sales, body=m.OrderStatusInputRequest(
                status=m.OrderStatusEnum.CONFIRMED))
            open_confirmed = draft
        open_ids.add(draft.id)
    open_orders = api.orders_list.sync(client=sales, customer_id=customer.id, status=[
        m.SalesOrdersListStatusItem.DRAFT, m.SalesOrdersListStatusItem.CONFIRMED,
        m.SalesOrdersListStatusItem.PROCESSING])
    assert {o.id for o in open_orders.results} == open_ids
    # a confirmed order whose invoice finance has credited cannot be cancelled: a typed 409 naming the credit
    [open_invoice] = api.invoices_list.sync(client=finance, order_id=open_confirmed.id).results
    goodwill = api.credit_notes_create.sync(client=finance, body=m.CreditNoteInputRequest(
        invoice_id=open_invoice.id, amount="25.00", reason="goodwill"))
    assert isinstance(goodwill, m.CreditNote)
    credited_cancel = api.orders_status.sync(open_confirmed.id, client=sales, body=m.OrderStatusInputRequest(
        status=m.OrderStatusEnum.CANCELLED, reason="Customer requested cancellation"))
    assert isinstance(credited_cancel, m.InvoiceHasCreditProblem) and credited_cancel.status == 409
    [named] = credited_cancel.credit_notes
    assert isinstance(named, m.InvoiceHasCreditNote)
    assert (credited_cancel.invoice_id, credited_cancel.amount_credited, named.id, named.number, named.total) == (
        open_invoice.id, "25.00", goodwill.id, goodwill.number, "25.00")

    # following next through pages: every order once, two at a time
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = api.orders_list.sync(client=sales, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [o.id for o in page.results]
        pages += 1
        cursor = _cursor(page.next_)
        if cursor is None:
            break
    assert pages == 2 and len(seen) == len(set(seen)) == 4

    # optimistic concurrency through the client: a stale ETag is a typed 412, the current one works
    read = api.customers_retrieve.sync_detailed(customer.id, client=sales)
    etag = read.headers["ETag"]
    api.customers_patch.sync(customer.id, client=sales, body=m.PatchedCustomerInputRequest(phone="555-0100"))
    stale = api.customers_patch.sync_detailed(customer.id, client=sales, if_match=etag,
                                              body=m.PatchedCustomerInputRequest(name="Stale"))
    assert isinstance(stale.parsed, m.PreconditionFailedProblem) and stale.status_code == 412
    fresh = api.customers_patch.sync(customer.id, client=sales, if_match=stale.parsed.current_etag,
                                     body=m.PatchedCustomerInputRequest(name="Acme Inc."))
    assert (fresh.name, fresh.phone) == ("Acme Inc.", "555-0100")
