"""Returns under real concurrency (PostgreSQL only: row locks). Parallel returns over one order line, each
fitting alone but exceeding it together, leave exactly the ones that fit: the order row lock serialises them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from sales import services
from sales.exceptions import ReturnQuantityExceeded
from sales.models import Return, ReturnLine
from synthesq.core.models import Sequence as Counter
from tests.factories import ProductFactory
from tests.helpers import run_in_threads

from .helpers import RETURN_NUMBER, days_ago, delivered_order, order_returns_url, return_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 8


def test_parallel_returns_over_one_line_never_over_claim() -> None:
    # given a delivered order of 5 units
    product = ProductFactory(stock=10)
    order = delivered_order(days_ago(1), lines=[(product, 5)])

    def request() -> Callable[[], Any]:
        return lambda: services.return_request(
            order_id=order.pk, lines=[services.ReturnLineInput(product_id=product.pk, quantity=2)], actor=None,
        )

    # when 8 returns of 2 each are requested at once
    outcomes = run_in_threads([request() for _ in range(THREADS)])
    # then exactly 2 are recorded (4 units) and the other 6 are refused, each seeing 1 left
    accepted = [o for o in outcomes if isinstance(o, Return)]
    refused = [o for o in outcomes if isinstance(o, ReturnQuantityExceeded)]
    assert (len(accepted), len(refused)) == (2, THREADS - 2), outcomes
    assert all(error.extra["lines"][0]["returnable"] == 1 for error in refused)
    assert sum(ReturnLine.objects.filter(order_line__order=order).values_list("quantity", flat=True)) == 4
    # and their numbers are consecutive, with no gap left by the refused ones
    numbers = sorted(int(RETURN_NUMBER.match(r.return_number).group(1)) for r in accepted)  # type: ignore[union-attr]
    assert numbers[1] == numbers[0] + 1 == Counter.objects.get(name="return").value
    assert stock_of(product) == 5  # nothing received yet


def test_parallel_api_returns_leave_exactly_the_ones_that_fit(client_for: Callable[..., APIClient]) -> None:
    # given a delivered order of 2 A and 3 B, and a sales user's token
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    order = delivered_order(days_ago(1), lines=[(a, 2), (b, 3)])
    token = client_for("sales").token.plain  # type: ignore[attr-defined]

    def post(*lines: tuple[str, int]) -> Callable[[], int]:
        def work() -> int:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return api.post(order_returns_url(order.pk), return_body(*lines), format="json").status_code
        return work

    # when six requests, each of 1 A and 1 B, arrive together
    codes = run_in_threads([post((a.pk, 1), (b.pk, 1)) for _ in range(6)])
    # then two fit (A runs out) and four are refused with 422
    assert sorted(codes) == [201, 201, 422, 422, 422, 422], codes
    claimed = {pk: sum(ReturnLine.objects.filter(product_id=pk).values_list("quantity", flat=True))
               for pk in (a.pk, b.pk)}
    assert claimed == {a.pk: 2, b.pk: 2}
    assert Return.objects.filter(order=order).count() == 2
