"""Every service that changes state writes exactly its events, in its transaction, with one fan-out task; a
refused or rolled-back change writes none and enqueues nothing; nothing outside a service can publish."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from billing import services as billing
from billing.models import Invoice, Payment
from integrations.events import count_last, publish, publishes_events
from integrations.models import Event
from inventory import services as inventory
from sales import services as sales
from sales.models import Order, OrderStatus
from sales.pricing_models import PromotionCode
from synthesq.core.errors import DomainError
from synthesq.core.postgres_counts import Increment
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory, ReturnFactory, UserFactory
from tests.factories.pricing import PromotionCodeFactory

from .helpers import event_types, last_sequence

pytestmark = pytest.mark.django_db

ADDRESS = {"line1": "1 Main St", "city": "Austin", "country": "US"}


def _order(status: str = OrderStatus.DRAFT, **kwargs: Any) -> Order:
    return OrderFactory(status=status, **kwargs)


def _invoice_of(order: Order) -> Invoice:
    return Invoice.objects.get(order=order)


def _paid_and_credited() -> Payment:
    """A payment in full of an issued invoice, 10.00 of which a credit note made owed back."""
    invoice = InvoiceFactory(status="issued")
    payment = billing.payment_record(invoice_id=invoice.pk, amount=invoice.total, currency="USD",
                                     payment_method="card", reference="P-FULL", actor=None)
    billing.credit_note_issue(invoice_id=invoice.pk, amount=Decimal("10.00"), reason="goodwill", actor=None)
    return payment


# (name, given: build the state and return the change to make, the event types it must write)
SCENARIOS: list[tuple[str, Callable[[Any], Callable[[], Any]], list[str]]] = [
    ("create a customer", lambda u: lambda: sales.customer_create(actor=u, name="Acme", email="a@acme.example"),
     ["customer.created"]),
    ("change a customer", lambda u: (lambda c: lambda: sales.customer_update(
        customer=c, actor=u, data={"name": "New"}))(CustomerFactory()), ["customer.updated"]),
    ("save a customer unchanged", lambda u: (lambda c: lambda: sales.customer_update(
        customer=c, actor=u, data={"name": c.name}))(CustomerFactory()), []),
    ("create a product", lambda u: lambda: inventory.product_create(
        actor=u, sku="NEW-1", name="New", price=Decimal("5.00"), currency="USD", stock_quantity=3),
     ["product.created"]),
    ("change a product", lambda u: (lambda p: lambda: inventory.product_update(
        product=p, actor=u, data={"name": "Renamed"}))(ProductFactory()), ["product.updated"]),
    ("adjust stock, staying above the threshold", lambda u: (lambda p: lambda: inventory.stock_adjust(
        product=p, quantity_delta=-2, reason="count", actor=u))(ProductFactory(stock=20)), ["stock.adjusted"]),
    ("adjust stock below the threshold", lambda u: (lambda p: lambda: inventory.stock_adjust(
        product=p, quantity_delta=-16, reason="damage", actor=u))(ProductFactory(stock=20)),
     ["stock.adjusted", "stock.low"]),
    ("create a draft", lambda u: (lambda c, p: lambda: sales.order_create(
        actor=u, customer_id=c.pk, currency="USD", line_items=[sales.LineInput(p.pk, 1)]))(
        CustomerFactory(), ProductFactory()), ["order.created"]),
    ("edit a draft", lambda u: (lambda o: lambda: sales.order_update_draft(
        order_id=o.pk, actor=u, shipping_address=ADDRESS))(_order()), ["order.updated"]),
    ("confirm", lambda u: (lambda o: lambda: sales.order_confirm(order_id=o.pk, actor=u))(_order()),
     ["order.confirmed", "invoice.created"]),
    ("confirm, taking stock below the threshold", lambda u: (lambda o: lambda: sales.order_confirm(
        order_id=o.pk, actor=u))(_order(lines=[(ProductFactory(stock=6), 2)])),
     ["stock.low", "order.confirmed", "invoice.created"]),
    ("start processing", lambda u: (lambda o: lambda: sales.order_start_processing(order_id=o.pk, actor=u))(
        _order(OrderStatus.CONFIRMED)), ["order.processing"]),
    ("ship", lambda u: (lambda o: lambda: sales.order_ship(order_id=o.pk, actor=u, tracking_number="1Z",
                                                           carrier="UPS"))(_order(OrderStatus.PROCESSING)),
     ["shipment.created", "order.shipped"]),
    ("deliver", lambda u: (lambda o: lambda: sales.order_deliver(order_id=o.pk, actor=u))(
        _order(OrderStatus.SHIPPED)), ["shipment.delivered", "order.delivered"]),
    ("close (the draft invoice is issued)", lambda u: (lambda o: lambda: sales.order_close(
        order_id=o.pk, actor=u, waive_return_window=True))(_order(OrderStatus.DELIVERED)),
     ["order.closed", "invoice.issued"]),
    ("cancel a draft", lambda u: (lambda o: lambda: sales.order_cancel(order_id=o.pk, actor=u))(_order()),
     ["order.cancelled"]),
    ("cancel a confirmed order (its invoice is voided)", lambda u: (lambda o: lambda: sales.order_cancel(
        order_id=o.pk, actor=u))(_order(OrderStatus.CONFIRMED)), ["order.cancelled", "invoice.voided"]),
    ("put on hold", lambda u: (lambda o: lambda: sales.order_hold(order_id=o.pk, actor=u, reason="dispute"))(
        _order(OrderStatus.DELIVERED)), ["order.hold_placed"]),
    ("release a hold", lambda u: (lambda o: (sales.order_hold(order_id=o.pk, actor=u, reason="x"),
                                             lambda: sales.order_release_hold(order_id=o.pk, actor=u))[1])(
        _order(OrderStatus.DELIVERED)), ["order.hold_released"]),
    ("issue an invoice", lambda u: (lambda i: lambda: billing.invoice_issue(invoice_id=i.pk, actor=u))(
        InvoiceFactory()), ["invoice.issued"]),
    ("void an invoice", lambda u: (lambda i: lambda: billing.invoice_void(invoice_id=i.pk, actor=u))(
        InvoiceFactory()), ["invoice.voided"]),
    ("pay part of a draft invoice (it is issued first)", lambda u: (lambda i: lambda: billing.payment_record(
        invoice_id=i.pk, amount=Decimal("10.00"), currency="USD", payment_method="card", reference="P1",
        actor=u))(InvoiceFactory()), ["invoice.issued", "payment.recorded"]),
    ("pay an issued invoice in full", lambda u: (lambda i: lambda: billing.payment_record(
        invoice_id=i.pk, amount=i.total, currency="USD", payment_method="card", reference="P2", actor=u))(
        InvoiceFactory(status="issued")), ["payment.recorded", "invoice.paid"]),
    ("credit part of an issued invoice", lambda u: (lambda i: lambda: billing.credit_note_issue(
        invoice_id=i.pk, amount=Decimal("10.00"), reason="goodwill", actor=u))(InvoiceFactory(status="issued")),
     ["credit_note.issued"]),
    ("credit an issued invoice in full (it is settled)", lambda u: (lambda i: lambda: billing.credit_note_issue(
        invoice_id=i.pk, amount=i.total, reason="goodwill", actor=u))(InvoiceFactory(status="issued")),
     ["invoice.paid", "credit_note.issued"]),
    ("refund what a credit note made owed", lambda u: (lambda p: lambda: billing.refund_record(
        payment_id=p.pk, amount=Decimal("10.00"), reason="goodwill", reference="RF-1", actor=u))(
        _paid_and_credited()), ["refund.recorded"]),
    ("request a return", lambda u: (lambda o: lambda: sales.return_request(
        order_id=o.pk, lines=[sales.ReturnLineInput(o.lines.get().product_id, 1, True)], reason="broken",
        actor=u))(_order(OrderStatus.DELIVERED)), ["return.requested"]),
    ("receive a return", lambda u: (lambda r: lambda: sales.return_receive(return_id=r.pk, actor=u))(
        ReturnFactory()), ["return.received"]),
    ("credit a received return (its draft invoice is issued first)", lambda u: (lambda r: lambda: (
        sales.return_credit(return_id=r.pk, actor=u)))(ReturnFactory(received=True)),
     ["invoice.issued", "credit_note.issued", "return.credited"]),
    ("reject a return", lambda u: (lambda r: lambda: sales.return_reject(return_id=r.pk, reason="used",
                                                                         actor=u))(ReturnFactory()),
     ["return.rejected"]),
    ("close delivered orders in a batch", lambda u: (lambda orders: lambda: sales.orders_close_chunk(
        cutoff=timezone.now(), limit=10))([_order(OrderStatus.DELIVERED) for _ in range(2)]),
     ["order.closed", "order.closed", "invoice.issued", "invoice.issued"]),
]


@pytest.mark.parametrize(("name", "given", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_each_change_writes_exactly_its_events(name: str, given: Callable[[Any], Callable[[], Any]],
                                               expected: list[str]) -> None:
    # given the state before the change
    change = given(UserFactory(superuser=True))
    before, tasks_before = last_sequence(), DBTaskResult.objects.count()
    # when the service makes the change
    change()
    # then exactly its events were written, in order, with one fan-out task when there are any
    assert event_types(after=before) == expected
    assert DBTaskResult.objects.count() - tasks_before == (1 if expected else 0)
    if expected:
        task = DBTaskResult.objects.order_by("-enqueued_at").first()
        assert task is not None and task.task_path == "integrations.tasks.fan_out_events"
        written = list(Event.objects.filter(sequence__gt=before).order_by("sequence").values_list("pk", flat=True))
        assert task.args_kwargs["args"] == [written]


@pytest.mark.parametrize(("name", "given", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_with_events_off_every_change_is_made_and_publishes_nothing(
        name: str, given: Callable[[Any], Callable[[], Any]], expected: list[str], settings: Any) -> None:
    # given the state before the change, and events switched off (EVENTS_ENABLED, read by publish alone)
    change = given(UserFactory(superuser=True))
    settings.EVENTS_ENABLED = False
    before, tasks_before = last_sequence(), DBTaskResult.objects.count()
    # when the service makes the change
    change()
    # then no event was written and nothing was enqueued
    assert event_types(after=before) == []
    assert DBTaskResult.objects.count() == tasks_before


def test_a_refused_change_writes_no_event_and_enqueues_nothing() -> None:
    # given a draft for more than the stock
    order = OrderFactory(lines=[(ProductFactory(stock=1), 2)])
    before, tasks_before = last_sequence(), DBTaskResult.objects.count()
    # when confirming it is refused
    with pytest.raises(DomainError):
        sales.order_confirm(order_id=order.pk, actor=None)
    # then nothing was published
    assert event_types(after=before) == []
    assert DBTaskResult.objects.count() == tasks_before


def test_a_rolled_back_change_writes_no_event_and_enqueues_nothing() -> None:
    # given a customer, and a caller whose transaction fails after the service succeeded
    customer = CustomerFactory()
    before, tasks_before = last_sequence(), DBTaskResult.objects.count()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        sales.customer_update(customer=customer, actor=None, data={"name": "Renamed"})
        assert event_types(after=before) == ["customer.updated"]  # written, inside the transaction
        raise Boom
    # then the event and its task went with the transaction
    assert event_types(after=before) == []
    assert DBTaskResult.objects.count() == tasks_before


def test_a_nested_service_that_fails_takes_its_events_with_it() -> None:
    # given an order whose confirmation will be refused, inside a service scope that carries on
    refused = OrderFactory(lines=[(ProductFactory(stock=1), 2)])
    before = last_sequence()

    @publishes_events
    def outer() -> None:
        sales.customer_create(actor=None, name="Kept", email="kept@example.com")
        try:
            with transaction.atomic():
                sales.order_confirm(order_id=refused.pk, actor=None)
        except DomainError:
            pass

    outer()
    assert event_types(after=before) == ["customer.created"]


def test_nothing_outside_a_service_can_publish() -> None:
    with pytest.raises(RuntimeError, match="published by services"):
        publish("customer.created", object_id="cust_x", obj={})


def test_event_data_is_the_object_as_the_api_renders_it_with_previous_attributes(
    client_for: Callable[..., Any],
) -> None:
    # given a customer renamed through the service
    customer = CustomerFactory(name="Old name")
    sales.customer_update(customer=customer, actor=None, data={"name": "New name"})
    event = Event.objects.get(type="customer.updated")
    # then the event carries the customer as GET renders it now, and the name it had before
    api = client_for("sales")
    rendered = api.get(f"/api/v1/sales/customers/{customer.pk}").json()
    assert event.data["object"] == rendered
    assert event.data["previous_attributes"] == {"name": "Old name"}
    assert event.object_id == customer.pk


def test_a_payment_that_settles_a_draft_invoice_renders_it_as_each_step_left_it(
    client_for: Callable[..., Any],
) -> None:
    # given a draft invoice last changed a while ago
    invoice = _invoice_of(_order(OrderStatus.CONFIRMED))
    before = invoice.updated_at
    # when it is paid in full (issued first, then settled, in one transaction)
    billing.payment_record(invoice_id=invoice.pk, amount=invoice.total, currency=invoice.currency,
                           payment_method="card", reference="R-1", actor=None)
    # then the issued event shows it issued and unpaid, the paid event as GET renders it now, both changed now
    issued = Event.objects.get(type="invoice.issued").data["object"]
    paid = Event.objects.get(type="invoice.paid").data["object"]
    assert (issued["status"], issued["amount_paid"]) == ("issued", "0.00")
    assert issued["updated_at"] > before.isoformat().replace("+00:00", "Z")
    rendered = client_for("finance").get(f"/api/v1/sales/invoices/{invoice.pk}").json()
    assert paid == rendered  # to the microsecond of updated_at
    assert paid["updated_at"] > before.isoformat().replace("+00:00", "Z")


def test_an_order_move_names_the_status_it_left() -> None:
    order = OrderFactory()
    sales.order_confirm(order_id=order.pk, actor=None)
    event = Event.objects.get(type="order.confirmed")
    assert event.data["previous_attributes"] == {"status": "draft"}
    assert event.data["object"]["status"] == "confirmed"
    assert [line["sku"] for line in event.data["object"]["line_items"]] == [order.lines.get().sku]


def test_sequences_are_gap_free_in_commit_order() -> None:
    OrderFactory(status=OrderStatus.CONFIRMED)
    CustomerFactory()
    sales.customer_create(actor=None, name="A", email="a@example.com")
    sequences = list(Event.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_draft_edit_names_what_it_replaced() -> None:
    # given a draft of one line, rendered once already in this request
    order = OrderFactory()
    old_lines = Event.objects.get(type="order.created").data["object"]["line_items"]
    other = ProductFactory(price=Decimal("3.00"))
    # when its lines are replaced
    sales.order_update_draft(order_id=order.pk, actor=None, line_items=[sales.LineInput(other.pk, 2)])
    event = Event.objects.get(type="order.updated")
    # then the event shows the new lines and the replaced ones
    assert [line["sku"] for line in event.data["object"]["line_items"]] == [other.sku]
    assert event.data["previous_attributes"]["line_items"] == old_lines
    assert event.data["previous_attributes"]["total"] == old_lines[0]["line_total"]
    assert event.data["object"]["total"] == "6.00"


class _UsedUp(Exception):
    pass


def _counted_last(code: Any) -> None:
    count_last(Increment(PromotionCode, code.pk, field="times_used", limit="usage_limit", refused=_UsedUp))


def _times_used(code: Any) -> int:
    return PromotionCode.objects.get(pk=code.pk).times_used


def test_counts_made_last_are_made_with_the_events_and_fail_the_change_whole() -> None:
    # given a code with two uses left, and a service that publishes an event and counts a use last
    code = PromotionCodeFactory(usage_limit=2, times_used=0)

    @publishes_events
    def change(uses: int) -> None:
        sales.customer_create(actor=None, name="Counted", email="counted@example.com")
        for _ in range(uses):
            _counted_last(code)

    # when it runs counting one use, then two (one row counted twice in one change), then one more than is left
    before = last_sequence()
    change(1)
    assert (_times_used(code), event_types(after=before)) == (1, ["customer.created"])
    before = last_sequence()
    with pytest.raises(_UsedUp):
        change(2)
    # then the refused change wrote nothing at all: no count, no customer, no event
    assert (_times_used(code), event_types(after=before)) == (1, [])
    change(1)
    assert _times_used(code) == 2


def test_a_nested_service_that_fails_takes_its_count_with_it(settings: Any) -> None:
    # given a code, and a service that carries on after a nested change (that counted a use last) failed
    code = PromotionCodeFactory(usage_limit=None, times_used=5)

    class Refused(Exception):
        pass

    @publishes_events
    def nested() -> None:
        _counted_last(code)
        raise Refused

    @publishes_events
    def outer() -> None:
        _counted_last(code)
        try:
            with transaction.atomic():
                nested()
        except Refused:
            pass

    # when it runs, with events on and then off (the count is then made alone)
    outer()
    settings.EVENTS_ENABLED = False
    outer()
    # then only the outer uses were counted
    assert _times_used(code) == 7


def test_nothing_outside_a_service_can_count_last() -> None:

    with pytest.raises(RuntimeError, match="service's change"):
        _counted_last(PromotionCodeFactory())
