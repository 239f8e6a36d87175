"""The benchmark's floor (bench/floor): bare DRF endpoints behind the product's bearer-token authentication,
mounted beside the product's URLs. What ``make bench-api`` compares the hot endpoints with must do the work it
claims, and no more: one row read, or one row updated in a transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from bench.api.statements import is_transaction_control
from sales.models import Order
from tests.factories import OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("floor_urls")]


@pytest.fixture
def floor_urls() -> object:
    with override_settings(ROOT_URLCONF="bench.floor.urls"):
        yield


def test_the_read_floor_reads_one_order_row_after_the_token_lookup(
    sales_api: APIClient, django_assert_num_queries: Callable[..., object]
) -> None:
    # given an order, and a token that has been used once (its throttled last_used_at written)
    order = OrderFactory()
    sales_api.get(f"/api/v1/floor/read/{order.pk}")
    # when the read floor is asked for it
    with django_assert_num_queries(2):  # the token with its user, the order row
        response = sales_api.get(f"/api/v1/floor/read/{order.pk}")
    # then it answers the row's fields through a plain serializer
    assert response.status_code == 200
    assert response.json() == {
        "id": order.pk, "order_number": order.order_number, "status": "draft", "currency": "USD",
        "total": str(order.total), "updated_at": response.json()["updated_at"],
    }


def test_the_write_floor_updates_one_order_row_in_a_transaction(
    sales_api: APIClient, django_assert_num_queries: Callable[..., object]
) -> None:
    # given an order, and a token that has been used once
    order = OrderFactory()
    sales_api.get(f"/api/v1/floor/read/{order.pk}")
    # when the write floor changes its carrier
    with django_assert_num_queries(4) as queries:  # the token, BEGIN (a savepoint here), the UPDATE, COMMIT
        response = sales_api.patch(f"/api/v1/floor/write/{order.pk}", {"carrier": "UPS"}, format="json")
    # then the row is updated (carrier and updated_at) and the answer says so
    assert response.status_code == 200, response.content
    work = [q["sql"] for q in queries.captured_queries if not is_transaction_control(q["sql"])]
    assert [sql.split()[0] for sql in work] == ["SELECT", "UPDATE"] and '"sales_order"' in work[1]
    order_after = Order.objects.get(pk=order.pk)
    assert order_after.carrier == "UPS" and order_after.updated_at > order.updated_at
    assert response.json() == {"id": order.pk, "carrier": "UPS", "updated_at": response.json()["updated_at"]}


def test_the_floor_refuses_what_the_product_refuses(sales_api: APIClient) -> None:
    # given an order
    order = OrderFactory()
    # when the floor is called without a token, for an unknown order, or with a body of the wrong shape
    anonymous = APIClient().get(f"/api/v1/floor/read/{order.pk}")
    unknown = sales_api.get("/api/v1/floor/read/ord_unknown")
    invalid = sales_api.patch(f"/api/v1/floor/write/{order.pk}", {"carrier": "x" * 65}, format="json")
    # then it answers with the product's problem details, and the order is unchanged
    assert (anonymous.status_code, unknown.status_code, invalid.status_code) == (401, 404, 400)
    assert {anonymous["Content-Type"], unknown["Content-Type"], invalid["Content-Type"]} == {
        "application/problem+json"}
    assert Order.objects.get(pk=order.pk).carrier == ""


def test_the_product_is_served_beside_the_floor(sales_api: APIClient) -> None:
    # given an order
    order = OrderFactory()
    # when the product's own endpoints are called under the floor's URLs
    product = sales_api.get(f"/api/v1/sales/orders/{order.pk}")
    missing = sales_api.get("/api/v1/no-such-thing")
    # then they answer as they do without the floor (its catch-all for unknown API URLs included)
    assert product.status_code == 200 and product.json()["id"] == order.pk
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
