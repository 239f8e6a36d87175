"""Returns API, status changes: PATCH /api/v1/sales/returns/{id}/status through the lifecycle (restocking on
receipt with ``return`` rows in the stock ledger, the return_credited signal on credit), the full from × to
matrix, roles, If-Match (412 on a stale tag, changing nothing), the reason a rejection needs, history, events,
and reading returns (list, filters, detail)."""  # noqa: RUF002

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from billing.models import CreditNote, Invoice
from integrations.models import Event
from inventory.models import StockMovement
from inventory.selectors import stock_ledger_mismatches
from sales.models import Order, Return, ReturnEvent, ReturnStatus
from sales.signals import return_credited
from synthesq.core.errors import BusinessRuleViolation
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, ReturnFactory
from tests.helpers import assert_problem, error_fields, follow_pages

from .helpers import (
    EVENT_FIELDS,
    RETURN_MOVES,
    RETURN_ROLE_TARGETS,
    RETURN_STATUSES,
    RETURNS_URL,
    days_ago,
    delivered_order,
    ledger_sum,
    return_url,
    returns_db_state,
    stock_of,
)

pytestmark = pytest.mark.django_db

STAMP = {"received": "received_at", "credited": "credited_at", "rejected": "rejected_at"}


def status_url(return_id: str) -> str:
    return return_url(return_id, "/status")


def make_return(status: str, **kwargs: Any) -> Return:
    traits = {} if status == "requested" else {status: True}
    return ReturnFactory(**traits, **kwargs)


@pytest.fixture
def credited_signals() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        return_ = kwargs["return_"]
        received.append({**kwargs, "in_atomic_block": transaction.get_connection().in_atomic_block,
                         "status_in_db": Return.objects.get(pk=return_.pk).status,
                         "history": list(ReturnEvent.objects.filter(sales_return=return_)
                                         .values_list("to_status", flat=True)),
                         "lines": [(line.product_id, line.quantity) for line in return_.lines.all()]})

    return_credited.connect(receiver, dispatch_uid="test-credited")
    yield received
    return_credited.disconnect(dispatch_uid="test-credited")


@pytest.mark.parametrize("source", RETURN_STATUSES)
@pytest.mark.parametrize("target", RETURN_STATUSES)
def test_the_lifecycle_matrix(source: str, target: str, admin_api: APIClient) -> None:
    # given a return in ``source``
    return_ = make_return(source)
    before = returns_db_state()
    # when a superuser moves it to ``target``
    response = admin_api.patch(status_url(return_.pk), {"status": target, "reason": "checked"}, format="json")
    if (source, target) in RETURN_MOVES:
        # then it moves, stamped, with a history row
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == target
        assert body[STAMP[target]] is not None
        return_.refresh_from_db()
        assert return_.status == target
        last = ReturnEvent.objects.filter(sales_return=return_).order_by("-id").first()
        assert last is not None
        assert (last.kind, last.from_status, last.to_status, last.reason) == ("status_changed", source, target,
                                                                             "checked")
    else:
        # else 409 invalid_transition with the allowed statuses, and nothing changed
        body = assert_problem(response, 409, "invalid_transition")
        allowed = [to for to in RETURN_STATUSES if (source, to) in RETURN_MOVES]
        assert (body["current_status"], body["requested_status"], body["allowed_statuses"]) == (
            source, target, allowed)
        assert returns_db_state() == before


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance"])
@pytest.mark.parametrize(("source", "target"), sorted(RETURN_MOVES))
def test_roles(role: str, source: str, target: str, client_for: Callable[..., APIClient]) -> None:
    return_ = make_return(source)
    api = client_for(role)
    # the caller sees only the moves it may make
    shown = api.get(return_url(return_.pk)).json()
    assert set(shown["allowed_statuses"]) == {to for (src, to) in RETURN_MOVES
                                              if src == source and to in RETURN_ROLE_TARGETS[role]}
    before = returns_db_state()
    response = api.patch(status_url(return_.pk), {"status": target, "reason": "checked"}, format="json")
    if target in RETURN_ROLE_TARGETS[role]:
        assert response.status_code == 200, response.content
    else:
        assert_problem(response, 403, "permission_denied")
        assert returns_db_state() == before


def test_receiving_restocks_the_restock_lines_with_ledger_rows(warehouse_api: APIClient) -> None:
    # given a delivered order of 3 A and 2 B (stock 10 each, so 7 and 8 left) and a return of 2 A (restock)
    # and 1 B (scrapped)
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    order = delivered_order(days_ago(2), lines=[(a, 3), (b, 2)])
    return_ = ReturnFactory(order=order, lines=[(a.pk, 2, True), (b.pk, 1, False)])
    assert (stock_of(a), stock_of(b)) == (7, 8)
    # when the warehouse receives it
    response = warehouse_api.patch(status_url(return_.pk), {"status": "received"}, format="json")
    assert response.status_code == 200, response.content
    # then A is back up by 2 with one ``return`` row referencing the return; B is untouched
    assert (stock_of(a), stock_of(b)) == (9, 8)
    rows = list(StockMovement.objects.filter(kind="return").values_list("product_id", "quantity_delta",
                                                                         "balance_after", "reference"))
    assert rows == [(a.pk, 2, 9, return_.pk)]
    # and every ledger still sums to its stock
    assert (ledger_sum(a.pk), ledger_sum(b.pk)) == (9, 8)
    assert stock_ledger_mismatches() == []


def test_crediting_sends_return_credited_inside_the_transaction(
    finance_api: APIClient, credited_signals: list[dict[str, Any]]
) -> None:
    return_ = make_return("received")
    response = finance_api.patch(status_url(return_.pk), {"status": "credited"}, format="json")
    assert response.status_code == 200, response.content
    # then the signal went once, in the transaction, after the status and history were written
    assert len(credited_signals) == 1
    sent = credited_signals[0]
    assert sent["return_"].pk == return_.pk
    assert sent["actor"] == finance_api.user  # type: ignore[attr-defined]
    assert sent["in_atomic_block"] is True
    assert sent["status_in_db"] == "credited"
    assert sent["history"][-1] == "credited"
    assert sent["lines"] == [(line.product_id, line.quantity) for line in return_.lines.all()]


def test_a_receiver_refusing_the_credit_refuses_the_whole_change(finance_api: APIClient) -> None:
    return_ = make_return("received")
    before = returns_db_state()

    def refuse(sender: Any, **kwargs: Any) -> None:
        raise BusinessRuleViolation("The invoice cannot be credited.", code="invoice_not_creditable")

    return_credited.connect(refuse, dispatch_uid="test-refuse")
    try:
        response = finance_api.patch(status_url(return_.pk), {"status": "credited"}, format="json")
    finally:
        return_credited.disconnect(dispatch_uid="test-refuse")
    assert_problem(response, 422, "invoice_not_creditable")
    assert returns_db_state() == before
    assert Return.objects.get(pk=return_.pk).status == "received"


def test_rejecting_needs_a_reason_and_records_it(sales_api: APIClient) -> None:
    return_ = make_return("requested")
    before = returns_db_state()
    body = assert_problem(sales_api.patch(status_url(return_.pk), {"status": "rejected"}, format="json"),
                          400, "validation_error")
    assert error_fields(body) == ["reason"]
    assert returns_db_state() == before
    response = sales_api.patch(status_url(return_.pk), {"status": "rejected", "reason": "worn"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("rejected", "worn")


def test_an_unknown_status_and_an_unknown_return(admin_api: APIClient) -> None:
    return_ = make_return("requested")
    body = assert_problem(admin_api.patch(status_url(return_.pk), {"status": "lost"}, format="json"),
                          400, "validation_error")
    assert error_fields(body) == ["status"]
    assert_problem(admin_api.patch(status_url("ret_nope"), {"status": "received"}, format="json"), 404, "not_found")
    assert_problem(admin_api.get(return_url("ret_nope")), 404, "not_found")


# --- If-Match, as on every other status change -----------------------------------------------------------


def test_a_stale_if_match_is_412_with_the_current_tag_and_credits_nothing(
    finance_api: APIClient, warehouse_api: APIClient
) -> None:
    # given finance reads a requested return with its ETag (the same tag on every read of that version)
    return_ = make_return("requested")
    read = finance_api.get(return_url(return_.pk))
    stale = read["ETag"]
    assert finance_api.get(return_url(return_.pk))["ETag"] == stale
    # and the warehouse receives it meanwhile, so the return finance judged is not the one there now
    assert warehouse_api.patch(status_url(return_.pk), {"status": "received"}, format="json").status_code == 200
    current = finance_api.get(return_url(return_.pk))["ETag"]
    assert current != stale
    before = returns_db_state()
    # when finance credits it with the tag it read
    response = finance_api.patch(status_url(return_.pk), {"status": "credited"}, format="json",
                                 HTTP_IF_MATCH=stale)
    # then 412 with the current tag, and nothing changed: still received, no credit note, the invoice as it was
    body = assert_problem(response, 412, "precondition_failed")
    assert body["current_etag"] == response["ETag"] == current
    assert returns_db_state() == before
    stored = Return.objects.get(pk=return_.pk)
    assert (stored.status, stored.credited_at) == ("received", None)
    assert not CreditNote.objects.exists()
    assert Invoice.objects.get(order_id=return_.order_id).amount_credited == 0


@pytest.mark.parametrize("if_match", ["current", "several", "*"])
def test_the_current_tag_or_star_moves_it_and_answers_the_new_tag(
    finance_api: APIClient, warehouse_api: APIClient, if_match: str
) -> None:
    # given a received return finance reads
    return_ = make_return("received")
    tag = finance_api.get(return_url(return_.pk))["ETag"]
    header = {"current": tag, "several": f'"other", {tag}', "*": "*"}[if_match]
    # when finance credits it naming that version (or any version)
    response = finance_api.patch(status_url(return_.pk), {"status": "credited"}, format="json",
                                 HTTP_IF_MATCH=header)
    # then it is credited, its credit note issued, and the answer carries the new version's tag
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "credited"
    assert CreditNote.objects.get(sales_return_id=return_.pk).total == return_.value
    assert response["ETag"] != tag
    assert response["ETag"] == finance_api.get(return_url(return_.pk))["ETag"]


@pytest.mark.parametrize("if_match", ["W/{tag}", "garbage", '""'])
def test_a_weak_or_malformed_if_match_never_matches(warehouse_api: APIClient, if_match: str) -> None:
    return_ = make_return("requested")
    tag = warehouse_api.get(return_url(return_.pk))["ETag"]
    before = returns_db_state()
    response = warehouse_api.patch(status_url(return_.pk), {"status": "received"}, format="json",
                                   HTTP_IF_MATCH=if_match.format(tag=tag))
    assert_problem(response, 412, "precondition_failed")
    assert returns_db_state() == before


def test_without_if_match_the_move_is_made_whatever_the_version(
    finance_api: APIClient, warehouse_api: APIClient
) -> None:
    return_ = make_return("requested")
    finance_api.get(return_url(return_.pk))
    assert warehouse_api.patch(status_url(return_.pk), {"status": "received"}, format="json").status_code == 200
    response = finance_api.patch(status_url(return_.pk), {"status": "credited"}, format="json")
    assert response.status_code == 200, response.content
    assert response["ETag"] == finance_api.get(return_url(return_.pk))["ETag"]


def test_a_refused_move_with_the_current_tag_is_still_refused_as_before(sales_api: APIClient) -> None:
    # given a requested return sales reads, when sales moves it where its role may not (received), with the tag
    return_ = make_return("requested")
    tag = sales_api.get(return_url(return_.pk))["ETag"]
    before = returns_db_state()
    response = sales_api.patch(status_url(return_.pk), {"status": "received"}, format="json", HTTP_IF_MATCH=tag)
    # then the role's refusal (403), not the version's, and nothing changed
    assert_problem(response, 403, "permission_denied")
    assert returns_db_state() == before
    assert_problem(sales_api.patch(status_url("ret_nope"), {"status": "rejected", "reason": "x"}, format="json",
                                   HTTP_IF_MATCH="*"), 404, "not_found")


def test_each_step_writes_its_event_with_the_return(admin_api: APIClient) -> None:
    return_ = make_return("requested")
    admin_api.patch(status_url(return_.pk), {"status": "received"}, format="json")
    admin_api.patch(status_url(return_.pk), {"status": "credited"}, format="json")
    other = make_return("requested")
    admin_api.patch(status_url(other.pk), {"status": "rejected", "reason": "late"}, format="json")
    events = list(Event.objects.filter(type__startswith="return.").order_by("sequence"))
    assert [(e.type, e.object_id) for e in events] == [
        ("return.requested", return_.pk), ("return.received", return_.pk), ("return.credited", return_.pk),
        ("return.requested", other.pk), ("return.rejected", other.pk)]
    assert [e.data["object"]["status"] for e in events] == ["requested", "received", "credited", "requested",
                                                             "rejected"]
    assert events[1].data["previous_attributes"] == {"status": "requested"}


def test_history_oldest_first(sales_api: APIClient, admin_api: APIClient) -> None:
    return_ = make_return("requested")
    admin_api.patch(status_url(return_.pk), {"status": "received", "reason": "box arrived"}, format="json")
    response = sales_api.get(return_url(return_.pk, "/history"))
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert all(set(row) == EVENT_FIELDS for row in rows)
    assert [(r["kind"], r["from_status"], r["to_status"], r["reason"]) for r in rows] == [
        ("requested", "", "requested", "damaged in transit"),
        ("status_changed", "requested", "received", "box arrived")]


def test_list_filters_and_sort(sales_api: APIClient) -> None:
    # given returns of two customers in several statuses
    alice, bob = CustomerFactory(), CustomerFactory()
    r1 = ReturnFactory(order=OrderFactory(status="delivered", customer=alice))
    r2 = ReturnFactory(order=OrderFactory(status="delivered", customer=alice), received=True)
    r3 = ReturnFactory(order=OrderFactory(status="delivered", customer=bob), rejected=True)

    def ids(**params: Any) -> list[str]:
        response = sales_api.get(RETURNS_URL, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [r3.pk, r2.pk, r1.pk]  # newest first
    assert ids(customer_id=alice.pk) == [r2.pk, r1.pk]
    assert ids(order_id=r3.order_id) == [r3.pk]
    assert ids(status="requested") == [r1.pk]
    assert ids(status="requested,received") == [r2.pk, r1.pk]
    assert ids(**{"status[]": ["received", "rejected"]}) == [r3.pk, r2.pk]
    assert ids(sort="return_number") == [r1.pk, r2.pk, r3.pk]
    assert_problem(sales_api.get(RETURNS_URL, {"status": "lost"}), 400, "validation_error")
    # and pages follow
    rows, pages = follow_pages(sales_api, f"{RETURNS_URL}?limit=2")
    assert ([row["id"] for row in rows], pages) == ([r3.pk, r2.pk, r1.pk], 2)


def test_list_queries_do_not_grow_with_the_page(sales_api: APIClient,
                                                django_assert_max_num_queries: Any) -> None:
    for _ in range(6):
        ReturnFactory()
    sales_api.get(RETURNS_URL)
    # token, user permissions, group permissions, the page (with order), the lines (with order lines)
    with django_assert_max_num_queries(5):
        assert len(sales_api.get(RETURNS_URL, {"limit": 2}).json()["results"]) == 2
    with django_assert_max_num_queries(5):
        assert len(sales_api.get(RETURNS_URL, {"limit": 6}).json()["results"]) == 6


def test_integrations_may_not_read_returns(client_for: Callable[..., APIClient]) -> None:
    ReturnFactory()
    assert_problem(client_for("integrations").get(RETURNS_URL), 403, "permission_denied")


def test_the_order_and_the_ledger_after_a_full_return(admin_api: APIClient) -> None:
    # given a delivered order of 2 units; both returned, received and credited
    product = ProductFactory(stock=10)
    order = delivered_order(days_ago(1), lines=[(product, 2)])
    return_ = ReturnFactory(order=order, lines=[(product.pk, 2, True)], credited=True)
    assert return_.status == ReturnStatus.CREDITED
    # then the stock is back to 10, the ledger sums to it, and the order shows 2 returned
    assert stock_of(product) == 10 == ledger_sum(product.pk)
    shown = admin_api.get(f"/api/v1/sales/orders/{order.pk}").json()
    assert shown["line_items"][0]["returned_quantity"] == 2
    assert shown["returns"] == [{"id": return_.pk, "return_number": return_.return_number, "status": "credited"}]
    assert Order.objects.get(pk=order.pk).status == "delivered"
