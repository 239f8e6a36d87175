"""Property (issue 23): whatever the discounted basket (a customer's price list with quantity breaks, line
discounts by percent and amount, an order discount, a promotion code; USD, JPY, BHD; taxes exclusive or inclusive,
rounded per line or per document), made through the services and returned in random parts until all is returned,
each credit note credits what the customer paid for the returned units (the invoice line's discounted net and tax
in proportion, cumulatively rounded) and all of them together exactly what was invoiced."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import CreditNote, Invoice, InvoiceLine
from sales.exceptions import PromotionCodeNotApplicable
from synthesq.core.money import quantum
from tests.factories import CustomerFactory, PriceListFactory, PromotionCodeFactory
from tests.sales.discount_strategies import DECIMALS, Rollback, amount, discount
from tests.taxes.helpers import rate, tax_settings

from .discount_helpers import discounted_order
from .tax_helpers import product, return_credited

pytestmark = pytest.mark.django_db
D = Decimal
@st.composite
def _basket(draw: Any) -> dict[str, Any]:
    currency = draw(st.sampled_from(sorted(DECIMALS)))
    lines = draw(st.lists(st.tuples(amount(currency, 1, 500), st.integers(1, 6),
                                    st.sampled_from(["standard", "reduced"]), discount(currency, 20, (1, 5000)),
                                    st.sampled_from([None, "break", "always"])),
                          min_size=1, max_size=3))
    return {"currency": currency, "lines": lines, "discount": draw(discount(currency, 50, (1, 5000))),
            "code": draw(st.sampled_from([None, "percent", "amount"])), "inclusive": draw(st.booleans()),
            "rounding": draw(st.sampled_from(["line", "document"])), "data": draw(st.randoms(use_true_random=False))}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(basket=_basket())
def test_returns_of_discounted_lines_credit_exactly_what_was_paid(basket: dict[str, Any]) -> None:
    try:
        with transaction.atomic():  # each example's rows are rolled back
            _check(basket)
            raise Rollback
    except Rollback:
        pass


def _proportional(amount: Decimal, before: int, returning: int, of: int, currency: str) -> Decimal:
    def upto(units: int) -> Decimal:
        return (amount * units / of).quantize(quantum(currency), rounding=ROUND_HALF_UP)

    return upto(before + returning) - upto(before)


def _order(basket: dict[str, Any]) -> Any:
    currency = basket["currency"]
    rate("19", name="USt 19%")
    rate("7", tax_class="reduced", name="USt 7%")
    tax_settings(prices_include_tax=basket["inclusive"], rounding=basket["rounding"])
    products = [(product(str(price), tax_class=tax_class, currency=currency), quantity, discount, listed)
                for price, quantity, tax_class, discount, listed in basket["lines"]]
    # the customer's list: a break at 2 units (90 % of the price) or from the first unit (95 %)
    entries = [(p, 2 if listed == "break" else 1, str((p.price * D(90 if listed == "break" else 95) / 100)
                                                       .quantize(quantum(currency))))
               for p, _, _, listed in products if listed and p.price * 90 / 100 >= quantum(currency)]
    customer = CustomerFactory(price_list=PriceListFactory(currency=currency, entries=entries))
    code = None
    if basket["code"] == "percent":
        code = PromotionCodeFactory(code="PROP", discount_value=D("12.5")).code
    elif basket["code"] == "amount":
        code = PromotionCodeFactory(code="PROP", discount_type="amount", discount_value=D(3), currency=currency).code
    return discounted_order([(p, q, d) for p, q, d, _ in products], currency=currency, customer=customer,
                            discount=basket["discount"], promotion_code=code)


def _check(basket: dict[str, Any]) -> None:
    # given a delivered order of the random discounted basket
    currency, rng = basket["currency"], basket["data"]
    try:
        order = _order(basket)
    except PromotionCodeNotApplicable:  # the other discounts left nothing for the code: no order to return
        return
    invoice = Invoice.objects.get(order=order)
    lines = {line.product_id: line for line in invoice.lines.filter(kind=InvoiceLine.Kind.PRODUCT)}
    returned = dict.fromkeys(lines, 0)
    # when its units are returned and credited in random parts until nothing is left
    while any(returned[pk] < line.quantity for pk, line in lines.items()):
        parts = [(pk, rng.randint(0, line.quantity - returned[pk])) for pk, line in lines.items()]
        parts = [(pk, n) for pk, n in parts if n] or [next((pk, 1) for pk, line in lines.items()
                                                           if returned[pk] < line.quantity)]
        note = CreditNote.objects.filter(sales_return=return_credited(order, parts)).first()
        # then each returned line credits its units' part of the invoice line's discounted net and tax (units
        # given away credit nothing: a return of only those has no credit note)
        if note is None:
            assert all(lines[pk].gross_amount == 0 for pk, _ in parts)
        for credit_line in note.lines.all() if note is not None else ():
            line, before = lines[credit_line.product_id], returned[credit_line.product_id]
            assert credit_line.net_amount == _proportional(line.net_amount, before, credit_line.quantity,
                                                           line.quantity, currency)
            assert credit_line.tax_amount == _proportional(line.tax_amount, before, credit_line.quantity,
                                                           line.quantity, currency)
            assert credit_line.net_amount + credit_line.tax_amount == credit_line.gross_amount
        for pk, n in parts:
            returned[pk] += n
    # and all the credit notes together credit exactly what was invoiced, line by line and in total
    invoice.refresh_from_db()
    credited: dict[int, list[Decimal]] = {}
    for note in invoice.credit_notes.all():
        for item in note.credited_items:
            sums = credited.setdefault(item["invoice_line_id"], [D(0), D(0)])
            sums[0] += D(item["net_amount"])
            sums[1] += D(item["tax_amount"])
    for line in lines.values():
        assert credited.get(line.pk, [D(0), D(0)]) == [line.net_amount, line.tax_amount]
    assert invoice.amount_credited == invoice.total
    assert sum((note.tax_total for note in invoice.credit_notes.all()), D(0)) == invoice.tax_total
