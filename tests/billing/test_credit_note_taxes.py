"""Credit notes with taxes: returned units credit their invoice line's net and tax in proportion (the last unit
takes what is left, so a line returned in any number of parts credits exactly its tax), an amount is split over
the invoice's rates in proportion to their gross, and no rate's tax is ever credited beyond what was invoiced
(422 ``credit_exceeds_invoice``, nothing written). Given / when / then."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from billing.models import CreditNote, Invoice
from sales import services
from synthesq.core.money import minor_unit
from tests.sales.helpers import order_returns_url, return_body, return_url, returns_db_state

from .helpers import CREDIT_NOTES_URL, assert_figures_add_up, assert_problem, snapshot
from .tax_helpers import credited_per_rate, ensure_german_rates, per_rate, product, return_credited, tax_settings
from .tax_helpers import taxed_order as order_of

pytestmark = pytest.mark.django_db
D = Decimal


def assert_credit_note_adds_up(note: CreditNote) -> None:
    """net + tax = gross on the note and each line; the lines sum to the note; the breakdown sums to its tax."""
    lines = list(note.lines.all())
    assert note.net_total + note.tax_total == note.total
    assert sum((line.gross_amount for line in lines), D(0)) == note.total
    assert sum((line.tax_amount for line in lines), D(0)) == note.tax_total
    assert sum((D(row["tax_amount"]) for row in note.taxes), D(0)) == note.tax_total
    for line in lines:
        assert line.net_amount + line.tax_amount == line.gross_amount
        assert sum((D(row["tax_amount"]) for row in line.taxes), D(0)) == line.tax_amount


def credited_per_line(invoice: Invoice) -> dict[int, tuple[Decimal, Decimal]]:
    """Per invoice line: (net, tax) its credit notes credited."""
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    for note in invoice.credit_notes.all():
        for item in note.credited_items:
            net, tax = sums.get(item["invoice_line_id"], (D(0), D(0)))
            sums[item["invoice_line_id"]] = (net + D(item["net_amount"]), tax + D(item["tax_amount"]))
    return sums


def basket(currency: str) -> st.SearchStrategy[list[tuple[Decimal, int, str]]]:
    """1 to 3 lines in ``currency``'s minor unit: a price up to 999.99 (99,999 yen), 1 to 7 units, a class."""
    places = minor_unit(currency)
    price = st.integers(min_value=1, max_value=99_999).map(lambda units: D(units).scaleb(-places))
    return st.lists(st.tuples(price, st.integers(min_value=1, max_value=7), st.sampled_from(["standard", "reduced"])),
                    min_size=1, max_size=3)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(currency=st.sampled_from(["USD", "JPY", "BHD"]), rounding=st.sampled_from(["line", "document"]),
       inclusive=st.booleans(), data=st.data())
def test_random_partial_returns_of_everything_credit_exactly_the_invoiced_tax_per_rate(
        currency: str, rounding: str, inclusive: bool, data: st.DataObject) -> None:
    # given a delivered German order of random standard and reduced lines, in USD, JPY or BHD, under random tax
    # settings
    ensure_german_rates()
    tax_settings(prices_include_tax=inclusive, rounding=rounding)
    products = [(product(str(price), tax_class=tax_class, currency=currency), quantity)
                for price, quantity, tax_class in data.draw(basket(currency))]
    order = order_of(products, currency=currency)
    invoice = Invoice.objects.get(order=order)
    left = {p.pk: quantity for p, quantity in products}
    # when its units are returned and credited in random parts until nothing is left
    while any(left.values()):
        lines = [(pk, data.draw(st.integers(min_value=0, max_value=n))) for pk, n in left.items() if n]
        lines = [(pk, n) for pk, n in lines if n] or [next((pk, 1) for pk, n in left.items() if n)]
        note = return_credited(order, lines).credit_note
        assert_credit_note_adds_up(note)
        for pk, n in lines:
            left[pk] -= n
    # then every line's net and tax, and every rate's tax, is credited exactly, and the invoice is settled
    invoice.refresh_from_db()
    assert credited_per_line(invoice) == {line.pk: (line.net_amount, line.tax_amount) for line in invoice.lines.all()}
    assert credited_per_rate(invoice) == {rate: tax for rate, tax in per_rate(invoice.taxes).items()
                                          if rate != ("", "0.0000")}
    assert (invoice.amount_credited, invoice.status) == (invoice.total, "paid")
    assert_figures_add_up(invoice.pk)


@pytest.fixture
def german_invoice() -> Invoice:
    """An issued invoice to Berlin: 2 x 100.00 at 19 % (238.00) and 3 x 10.00 at 7 % (32.10): 270.10."""
    ensure_german_rates()
    tax_settings()
    order = order_of([(product("100.00"), 2), (product("10.00", tax_class="reduced"), 3)], status="confirmed")
    invoice = Invoice.objects.get(order=order)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("230.00"), D("40.10"), D("270.10"))
    return invoice


def credit(api: APIClient, invoice: Invoice, amount: str) -> Any:
    return api.post(CREDIT_NOTES_URL, {"invoice_id": invoice.pk, "amount": amount, "reason": "goodwill"},
                    format="json")


def rate_rows(body: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(row["name"], row["rate"], row["taxable_amount"], row["tax_amount"]) for row in body["taxes"]]


def test_an_amount_is_split_over_the_rates_in_proportion_to_their_gross(finance_api: APIClient,
                                                                         german_invoice: Invoice) -> None:
    # when finance credits 27.01 (a tenth of 270.10)
    response = credit(finance_api, german_invoice, "27.01")
    # then, by hand: the 19 % part gets 2701 x 238.00 / 270.10 = 2379.92 cents, the 7 % part 321.08; the one cent
    # left goes to the larger remainder: 23.80 and 3.21. 23.80 at 19 % is 20.00 net + 3.80 tax; 3.21 at 7 % is
    # 3.00 net + 0.21 tax
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["net_total"], body["tax_total"], body["total"]) == ("23.00", "4.01", "27.01")
    assert rate_rows(body) == [("USt 19%", "19.0000", "20.00", "3.80"), ("USt 7%", "7.0000", "3.00", "0.21")]
    [line] = body["lines"]
    assert (line["description"], line["line_total"], line["tax_rate"], line["net_amount"], line["tax_amount"],
            line["gross_amount"]) == ("Credit: goodwill", "27.01", None, "23.00", "4.01", "27.01")
    assert [(tax["name"], tax["tax_amount"]) for tax in line["taxes"]] == [("USt 19%", "3.80"), ("USt 7%", "0.21")]
    # and the invoice's amount due fell by the gross
    assert body["invoice"]["amount_due"] == "243.09"


def test_what_remains_credits_exactly_what_remains_of_each_rate(finance_api: APIClient,
                                                                 german_invoice: Invoice) -> None:
    # given 27.01 credited already
    assert credit(finance_api, german_invoice, "27.01").status_code == 201
    # when the remaining 243.09 is credited
    body = credit(finance_api, german_invoice, "243.09").json()
    # then it credits 38.00 - 3.80 and 2.10 - 0.21 of tax, and the invoice is credited in full
    assert rate_rows(body) == [("USt 19%", "19.0000", "180.00", "34.20"), ("USt 7%", "7.0000", "27.00", "1.89")]
    assert (body["tax_total"], body["total"], body["invoice"]["status"]) == ("36.09", "243.09", "paid")
    assert credited_per_rate(german_invoice) == {("USt 19%", "19.0000"): D("38.00"), ("USt 7%", "7.0000"): D("2.10")}


def test_lines_entered_by_hand_are_credited_as_amounts_over_the_rates(finance_api: APIClient,
                                                                       german_invoice: Invoice) -> None:
    # when finance credits one line of 2 x 1.00 by hand (a gross 2.00)
    response = finance_api.post(CREDIT_NOTES_URL, {"invoice_id": german_invoice.pk, "reason": "scratches", "lines": [
        {"description": "Scratches", "quantity": 2, "unit_price": "1.00"}]}, format="json")
    # then 2.00 is split 1.76 (19 %: 1.48 net + 0.28 tax) and 0.24 (7 %: 0.22 net + 0.02 tax): 200 x 238 / 270.10
    # is 176.23 cents, 200 x 32.10 / 270.10 is 23.77, the cent left to the larger remainder
    body = response.json()
    assert rate_rows(body) == [("USt 19%", "19.0000", "1.48", "0.28"), ("USt 7%", "7.0000", "0.22", "0.02")]
    assert (body["net_total"], body["tax_total"], body["total"]) == ("1.70", "0.30", "2.00")


def test_a_credit_beyond_a_rates_tax_is_refused_and_changes_nothing(finance_api: APIClient,
                                                                     german_invoice: Invoice) -> None:
    # given the order delivered, and 50.00 credited over its rates (so part of the 19 % line's tax is credited)
    order = german_invoice.order
    services.order_start_processing(order_id=order.pk, actor=None)
    services.order_ship(order_id=order.pk, actor=None, tracking_number="1Z999AA10123456784", carrier="UPS")
    services.order_deliver(order_id=order.pk, actor=None)
    assert credit(finance_api, german_invoice, "50.00").status_code == 201
    before = {**snapshot(), **returns_db_state()}
    desk = german_invoice.lines.get(position=1)
    # when both desks are returned: they would credit their whole tax (38.00) on top of what the 50.00 took of it
    response = finance_api.post(order_returns_url(order.pk), return_body((desk.product_id, 2)), format="json")
    # then the return is refused, 422 credit_exceeds_invoice, and nothing was written
    assert_problem(response, 422, "credit_exceeds_invoice")
    assert {**snapshot(), **returns_db_state()} == before


def test_an_amount_beyond_what_is_left_is_refused_and_changes_nothing(finance_api: APIClient,
                                                                       german_invoice: Invoice) -> None:
    before = snapshot()
    assert_problem(credit(finance_api, german_invoice, "270.11"), 422, "credit_exceeds_invoice")
    assert snapshot() == before


def test_crediting_a_return_beyond_a_rates_tax_is_refused_and_changes_nothing(finance_api: APIClient,
                                                                               german_invoice: Invoice) -> None:
    # given both desks returned and received, then 50.00 credited over the invoice's rates meanwhile
    order = german_invoice.order
    services.order_start_processing(order_id=order.pk, actor=None)
    services.order_ship(order_id=order.pk, actor=None, tracking_number="1Z999AA10123456784", carrier="UPS")
    services.order_deliver(order_id=order.pk, actor=None)
    desk = german_invoice.lines.get(position=1)
    return_ = services.return_request(order_id=order.pk, actor=None, reason="unwanted",
                                      lines=[services.ReturnLineInput(product_id=desk.product_id, quantity=2)])
    services.return_receive(return_id=return_.pk, actor=None)
    assert credit(finance_api, german_invoice, "50.00").status_code == 201
    before = {**snapshot(), **returns_db_state()}
    # when the return is credited: the desks' whole tax (38.00) on top of what the 50.00 took of it
    response = finance_api.patch(return_url(return_.pk, "/status"), {"status": "credited"}, format="json")
    # then it is refused, 422 credit_exceeds_invoice, the return is still received and nothing was written
    assert_problem(response, 422, "credit_exceeds_invoice")
    assert {**snapshot(), **returns_db_state()} == before
    return_.refresh_from_db()
    assert return_.status == "received"
