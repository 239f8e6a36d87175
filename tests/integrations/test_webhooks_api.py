"""The integration surface over HTTP: /api/v1/events (catch up after being down) and
/api/v1/webhook-endpoints and /api/v1/webhook-deliveries (managed by the integrations role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations import delivery
from integrations.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from sales import services as sales
from tests.factories import OrderFactory
from tests.helpers import assert_problem, error_fields, follow_pages

from .helpers import ENDPOINTS_URL, EVENTS_URL, fan_out_only, receiver, run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrations_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("integrations")


def _register(api: APIClient, url: str, events: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    response = api.post(ENDPOINTS_URL, {"url": url, "events": events or ["order.*"], **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- events ------------------------------------------------------------------------------------------------


def test_a_client_catches_up_from_the_last_event_it_saw(integrations_api: APIClient) -> None:
    # given the guide's order confirmed, and a client that saw events up to the order's creation
    order = OrderFactory()
    seen = integrations_api.get(EVENTS_URL, {"sort": "created_at"}).json()["results"]
    assert [event["type"] for event in seen] == ["order.created"]
    sales.order_confirm(order_id=order.pk, actor=None)
    sales.order_start_processing(order_id=order.pk, actor=None)
    # when it asks for what came after
    missed, _pages = follow_pages(integrations_api,
                                  f"{EVENTS_URL}?sort=created_at&limit=1&after={seen[-1]['id']}")
    # then it gets the rest, oldest first, each once, as GET /events/{id} renders it
    assert [event["type"] for event in missed] == ["order.confirmed", "invoice.created", "order.processing"]
    one = integrations_api.get(f"{EVENTS_URL}/{missed[0]['id']}").json()
    assert one == missed[0]
    assert set(one) == {"id", "type", "created_at", "object_id", "data"}
    assert one["data"]["previous_attributes"] == {"status": "draft"}


def test_events_are_newest_first_by_default(integrations_api: APIClient) -> None:
    OrderFactory(status="confirmed")
    types = [e["type"] for e in integrations_api.get(EVENTS_URL).json()["results"]]
    assert types == ["invoice.created", "order.confirmed", "order.created"]


@pytest.mark.parametrize(("query", "expected"), [
    ({"type": "order.*"}, {"order.created", "order.confirmed"}),
    ({"type": ["invoice.created", "order.created"]}, {"invoice.created", "order.created"}),
    ({"type[]": ["invoice.*"]}, {"invoice.created"}),
    ({"type": "invoice.created,order.confirmed"}, {"invoice.created", "order.confirmed"}),
    ({"type": "*"}, {"order.created", "order.confirmed", "invoice.created"}),
])
def test_type_filter_takes_wildcards_and_every_spelling(integrations_api: APIClient, query: dict,
                                                        expected: set[str]) -> None:
    OrderFactory(status="confirmed")
    assert {e["type"] for e in integrations_api.get(EVENTS_URL, query).json()["results"]} == expected


def test_object_and_date_filters(integrations_api: APIClient) -> None:
    first, second = OrderFactory(), OrderFactory()
    assert [e["object_id"] for e in integrations_api.get(EVENTS_URL, {"object_id": second.pk}).json()["results"]] \
        == [second.pk]
    created = Event.objects.get(object_id=first.pk).created_at
    after = integrations_api.get(EVENTS_URL, {"created_at_after": created.isoformat(), "sort": "created_at"})
    assert [e["object_id"] for e in after.json()["results"]] == [first.pk, second.pk]


@pytest.mark.parametrize("query", [{"type": "order.nope"}, {"type": "nope.*"}, {"after": "evt_missing"},
                                   {"sort": "type"}])
def test_bad_event_filters_are_400(integrations_api: APIClient, query: dict) -> None:
    body = assert_problem(integrations_api.get(EVENTS_URL, query), 400, "validation_error")
    assert error_fields(body)


def test_only_the_integrations_role_reads_events(client_for: Callable[..., APIClient]) -> None:
    OrderFactory()
    for role in ("sales", "warehouse", "finance"):
        assert_problem(client_for(role).get(EVENTS_URL), 403, "permission_denied")
    assert client_for(superuser=True).get(EVENTS_URL).status_code == 200


# --- endpoints ---------------------------------------------------------------------------------------------


def test_register_read_change_and_delete_an_endpoint(integrations_api: APIClient) -> None:
    # when an integration registers an endpoint
    created = _register(integrations_api, "http://127.0.0.1:9/in", ["order.shipped", "invoice.*"],
                        description="fulfilment")
    # then the answer carries the secret once; reads never do
    assert created["secret"].startswith("whsec_")
    read = integrations_api.get(f"{ENDPOINTS_URL}/{created['id']}").json()
    assert "secret" not in read
    assert (read["events"], read["active"], read["description"]) == (["order.shipped", "invoice.*"], True,
                                                                     "fulfilment")
    assert [row["id"] for row in integrations_api.get(ENDPOINTS_URL).json()["results"]] == [created["id"]]
    # when it changes and deactivates it
    changed = integrations_api.patch(f"{ENDPOINTS_URL}/{created['id']}", {"events": ["order.*"], "active": False},
                                     format="json").json()
    assert (changed["events"], changed["active"]) == (["order.*"], False)
    # when it rotates the secret
    rotated = integrations_api.post(f"{ENDPOINTS_URL}/{created['id']}/rotate-secret").json()
    assert rotated["secret"] != created["secret"]
    # and deletes it
    assert integrations_api.delete(f"{ENDPOINTS_URL}/{created['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_an_empty_change_changes_nothing(integrations_api: APIClient) -> None:
    # given a registered endpoint
    created = _register(integrations_api, "http://127.0.0.1:9/in")
    before = integrations_api.get(f"{ENDPOINTS_URL}/{created['id']}")
    # when an empty change is sent
    response = integrations_api.patch(f"{ENDPOINTS_URL}/{created['id']}", {}, format="json")
    # then it is accepted and the endpoint is as it was (same version)
    assert response.status_code == 200
    assert response.json() == before.json()
    assert response["ETag"] == before["ETag"]


def test_subscriptions_offer_every_known_type_and_wildcard(integrations_api: APIClient) -> None:
    schema = integrations_api.get("/api/v1/schema/?format=json").json()
    items = schema["components"]["schemas"]["WebhookEndpointInputRequest"]["properties"]["events"]["items"]
    offered = schema["components"]["schemas"][items["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert {"*", "order.*", "invoice.*", "order.confirmed", "invoice.paid", "stock.low"} <= set(offered)


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://127.0.0.1/in", "events": []}, "events"),
    ({"url": "http://127.0.0.1/in", "events": ["order.nope"]}, "events[0]"),
    ({"url": "not a url", "events": ["order.*"]}, "url"),
    ({"url": "http://127.0.0.1/in", "events": ["order.*"], "secret": "mine"}, "secret"),
])
def test_invalid_endpoints_are_refused(integrations_api: APIClient, body: dict, field: str) -> None:
    assert field in error_fields(assert_problem(integrations_api.post(ENDPOINTS_URL, body, format="json"), 400,
                                                "validation_error"))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("url", "resolves_to"), [
    ("http://hooks.example.com/in", ["93.184.215.14"]),  # not https
    ("https://localhost/in", ["127.0.0.1"]),
    ("https://10.0.0.5/in", ["10.0.0.5"]),
    ("https://192.168.1.10/in", ["192.168.1.10"]),
    ("https://[::1]/in", ["::1"]),
    ("https://metadata.internal/latest", ["169.254.169.254"]),
    ("https://alibaba.internal/", ["100.100.100.200"]),
    ("https://mixed.example.com/in", ["93.184.215.14", "10.1.2.3"]),
    ("https://mapped.example.com/in", ["::ffff:127.0.0.1"]),
    ("https://user:pw@hooks.example.com/in", ["93.184.215.14"]),
])
def test_private_addresses_are_refused_at_registration(
    integrations_api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch, url: str, resolves_to: list[str]
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(delivery, "resolve", lambda host, port: resolves_to)
    response = integrations_api.post(ENDPOINTS_URL, {"url": url, "events": ["order.*"]}, format="json")
    assert error_fields(assert_problem(response, 400, "validation_error")) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_endpoint_is_accepted(integrations_api: APIClient, settings: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(delivery, "resolve", lambda host, port: ["93.184.215.14", "2606:2800:21f:cb07::1"])
    assert _register(integrations_api, "https://hooks.example.com/in")["url"] == "https://hooks.example.com/in"


def test_only_the_integrations_role_manages_endpoints(client_for: Callable[..., APIClient],
                                                      integrations_api: APIClient) -> None:
    created = _register(integrations_api, "http://127.0.0.1:9/in")
    for role in ("sales", "warehouse", "finance"):
        api = client_for(role)
        assert_problem(api.post(ENDPOINTS_URL, {"url": "http://127.0.0.1/x", "events": ["order.*"]},
                                format="json"), 403, "permission_denied")
        assert_problem(api.get(ENDPOINTS_URL), 403, "permission_denied")
        assert_problem(api.delete(f"{ENDPOINTS_URL}/{created['id']}"), 403, "permission_denied")
    assert WebhookEndpoint.objects.count() == 1


def test_ping_deliveries_and_retry_over_http(integrations_api: APIClient) -> None:
    with receiver(plan=[500]) as hook:
        created = _register(integrations_api, hook.url, ["order.*"])
        # when the integration pings its endpoint and the workers run
        assert integrations_api.post(f"{ENDPOINTS_URL}/{created['id']}/test").status_code == 202
        run_tasks()
        # then its deliveries show the failed attempt with what the receiver answered
        rows = integrations_api.get(f"{ENDPOINTS_URL}/{created['id']}/deliveries").json()["results"]
        assert [(row["event_type"], row["status"], row["attempts"]) for row in rows] == [("ping", "pending", 1)]
        attempt = rows[0]["attempt_log"][0]
        assert (attempt["number"], attempt["status_code"], attempt["succeeded"], attempt["response_excerpt"]) == \
            (1, 500, False, "ok")
        # when it asks for the delivery again
        retried = integrations_api.post(f"/api/v1/webhook-deliveries/{rows[0]['id']}/retry")
        assert retried.status_code == 202
        run_tasks()
        read = integrations_api.get(f"/api/v1/webhook-deliveries/{rows[0]['id']}").json()
        assert (read["status"], read["attempts"], read["last_status_code"]) == ("succeeded", 2, 204)
        assert len(hook.received) == 2


def test_a_delivery_under_way_cannot_be_retried(integrations_api: APIClient) -> None:
    from integrations import services

    created = _register(integrations_api, "http://127.0.0.1:9/in", ["order.*"])
    OrderFactory()
    fan_out_only()
    item = WebhookDelivery.objects.get(endpoint_id=created["id"])
    assert services.claim_deliveries([item.pk])  # a worker is sending it now
    response = integrations_api.post(f"/api/v1/webhook-deliveries/{item.pk}/retry")
    assert assert_problem(response, 409, "delivery_in_progress")["delivery_id"] == item.pk
    item.refresh_from_db()
    assert (item.status, item.attempts) == (DeliveryStatus.PENDING, 1)
