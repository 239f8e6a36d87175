"""/metrics: Prometheus' text format with Django's and the business metrics, only for the scraper (a bearer
token or an address on the allow-list); off (404) when neither is configured."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def scrape(**meta: Any) -> Any:
    return Client().get("/metrics", **meta)


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=[])
def test_off_without_a_token_or_an_allow_list() -> None:
    assert scrape().status_code == 404


@override_settings(METRICS_TOKEN="s3cret-scrape-token", METRICS_ALLOWED_IPS=[])
def test_the_token_opens_it_and_nothing_else_does() -> None:
    assert scrape().status_code == 401
    assert scrape()["WWW-Authenticate"].startswith("Bearer")
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Basic czNjcmV0LXNjcmFwZS10b2tlbg==").status_code == 401
    response = scrape(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["10.0.0.0/8", "192.0.2.7"])
def test_an_address_on_the_allow_list_needs_no_token() -> None:
    assert scrape(REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(REMOTE_ADDR="192.0.2.7").status_code == 200
    assert scrape(REMOTE_ADDR="192.0.2.8").status_code == 403
    assert scrape(REMOTE_ADDR="not-an-address").status_code == 403


@override_settings(METRICS_TOKEN="tok", METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_it_shows_http_database_and_business_metrics() -> None:
    # given some traffic: a probe and a refused API call
    Client().get("/readyz")
    Client().get("/api/v1/sales/orders")
    # when the scraper reads the metrics
    text = scrape(HTTP_AUTHORIZATION="Bearer tok").content.decode()
    # then requests by view and status, database queries, and the business counters are there
    by_view = 'django_http_responses_total_by_status_view_method_total{method="GET",status="401",view="order-list"}'
    assert by_view in text
    assert "django_db_execute_total{" in text
    assert 'synthesq_refusals_total{code="not_authenticated",status="401"}' in text
    for name in ("synthesq_order_moves_total", "synthesq_payments_total", "synthesq_payments_amount_total",
                 "synthesq_batch_close_runs_total", "synthesq_batch_close_orders_closed_total"):
        assert f"# TYPE {name} counter" in text


def test_only_get() -> None:
    with override_settings(METRICS_TOKEN="tok"):
        assert Client().post("/metrics", HTTP_AUTHORIZATION="Bearer tok").status_code == 405
