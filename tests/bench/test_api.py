"""``make bench-api`` (bench/api.py): its seed, its statement counts and how it turns wrk windows into figures.
The load itself (gunicorn and wrk) runs by hand; what it measures is checked here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from bench.api import ENDPOINTS, Seed, Window, count_statements, make_drafts, parse_args, seed, summarize
from sales.models import Order, OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> Seed:
    return seed(read_orders=4)


def _client(state: Seed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {state.token}")
    return client


def test_the_seeded_drafts_are_orders_of_three_lines_the_api_confirms(seeded: Seed) -> None:
    # given the benchmark's seed (drafts made in bulk, not through the service)
    drafts = make_drafts(seeded, 3)
    orders = list(Order.objects.filter(pk__in=drafts).prefetch_related("lines").order_by("order_number"))
    # then each is a draft of 3 lines on 3 different products, totalled, numbered from the order sequence
    assert len(orders) == 3 and all(o.status == OrderStatus.DRAFT for o in orders)
    for order in orders:
        lines = list(order.lines.all())
        assert len(lines) == 3 and len({line.product_id for line in lines}) == 3
        assert order.total == sum((line.line_total for line in lines), Decimal(0))
    numbers = [int(o.order_number.removeprefix("SO-")) for o in orders]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert OrderEvent.objects.filter(order__in=orders, kind=OrderEvent.Kind.CREATED).count() == 3
    # and the seed's token (role sales) reads and confirms them through the API
    client = _client(seeded)
    assert len(client.get(f"/api/v1/sales/orders/{seeded.read_ids[0]}").json()["line_items"]) == 3
    response = client.patch(f"/api/v1/sales/orders/{drafts[0]}/status", {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"


@override_settings(ROOT_URLCONF="bench.floor.urls")
def test_statements_are_counted_for_every_kind_of_request(seeded: Seed) -> None:
    # when the benchmark counts the statements of one request of each kind, and times two more of each
    counted = count_statements(seeded, samples=2)
    # then every kind answered (2xx) and was counted, the floors at their minimum
    assert set(counted) == {"read-floor", "get", "list", "write-floor", "create", "confirm"}
    assert counted["read-floor"]["statements"] == 2
    assert counted["write-floor"]["without_transaction_control"] == 2
    for name, figures in counted.items():
        assert figures["statements"] == len(figures["sql"]) >= figures["without_transaction_control"] > 0, name
        assert figures["samples"] == 2 and figures["cpu_ms"] > 0 and figures["wall_ms"] > 0, name
    assert counted["get"]["statements"] > counted["read-floor"]["statements"]
    assert counted["confirm"]["statements"] > counted["write-floor"]["statements"]


def _window(target: str, requests: int, round_number: int = 1, errors: int = 0) -> Window:
    return Window(target=target, round=round_number, seconds=10.0, requests=requests, errors=errors,
                  error_detail={"status": errors}, p50_ms=5.0, p90_ms=8.0, p99_ms=10.0, load_before=(1.0, 1.0, 1.0))


def test_each_endpoint_is_compared_with_the_floor_run_just_before_it() -> None:
    # given interleaved windows: floor, get, floor, get, floor, get (the machine busier in the later rounds)
    get = next(e for e in ENDPOINTS if e.name == "get")
    windows = [_window("read-floor", 10_000, 1), _window("get", 7_500, 1),
               _window("read-floor", 8_000, 2), _window("get", 4_000, 2, errors=3),
               _window("read-floor", 4_000, 3), _window("get", 3_600, 3)]
    # when the figures are summarized
    [result] = summarize(windows, [get], {"get": {"statements": 5, "without_transaction_control": 5}})
    # then rates are the medians of the rounds, the ratio the median of each round's ratio to its own floor
    assert (result.per_second, result.floor_per_second) == (400.0, 800.0)
    assert [r["ratio"] for r in result.rounds] == [0.75, 0.5, 0.9]
    assert result.ratio == 0.75 and result.meets_goal and result.errors == 3 and result.statements == 5
    # and a window that does not follow its own floor is refused
    with pytest.raises(ValueError, match="floor"):
        summarize([_window("write-floor", 10), _window("get", 5)], [get], {})


def test_quick_mode_and_endpoint_choice() -> None:
    args = parse_args(["--quick", "--endpoints", "get,confirm"])
    assert (args.rounds, args.duration, args.warmup, args.cpu_samples) == (1, 3.0, 1.0, 10)
    assert [e.name for e in args.endpoint_list] == ["get", "confirm"]
    with pytest.raises(SystemExit):
        parse_args(["--endpoints", "delete"])
