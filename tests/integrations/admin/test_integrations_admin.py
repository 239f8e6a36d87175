"""Integrations in the back-office, reached by clicking from the admin index: register a webhook endpoint (its
secret shown once), rotate the secret, ping it, find failing deliveries and resend them; the dashboard's
webhook figures each list exactly their rows; other roles see none of it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from integrations import services
from integrations.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sales import services as sales
from synthesq.core.admin_tools import local_minute
from tests.admin.helpers import button_link, figures, listed, messages_text, page_form
from tests.admin.navigation import object_link, sidebar_link
from tests.integrations.helpers import failed_delivery, receiver, run_tasks

pytestmark = pytest.mark.django_db


def attempt_rows(response: object) -> list[list[str]]:
    """The rows of a delivery page's "attempts" table, as the cells' text."""
    page = response.content.decode()  # type: ignore[attr-defined]
    group = re.search(r'id="attempt_log-group".*?</table>', page, re.S)
    assert group, "no attempts on the page"
    rows = re.findall(r'<tr[^>]*class="[^"]*form-row[^"]*"[^>]*>(.*?)</tr>', group.group(0), re.S)
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_an_integrator_registers_rotates_and_pings_an_endpoint(login: Callable[..., Client]) -> None:
    staff = login("integrations")
    with receiver() as hook:
        # when they open "Webhook endpoints" from the index and add one
        endpoints = staff.get(sidebar_link(staff.get("/admin/"), "Webhook endpoints"))
        add = staff.get(object_link(endpoints, "Add"))
        form = page_form(add, "webhookendpoint_form")
        form.update(url=hook.url, events="order.*, invoice.paid", description="fulfilment")
        saved = staff.post(add.wsgi_request.path, form, follow=True)
        # then the endpoint exists and its secret was shown once
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.events == ["order.*", "invoice.paid"]
        assert f"copy it now, it will not be shown again): {endpoint.secret}" in messages_text(saved)
        # when they open it and rotate its secret
        page = staff.get(object_link(staff.get(sidebar_link(saved, "Webhook endpoints")), hook.url))
        confirm = staff.get(button_link(page, "action", "rotate-secret"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.content.decode())
        assert token
        rotated = staff.post(confirm.wsgi_request.path, {"csrfmiddlewaretoken": token.group(1)}, follow=True)
        old = endpoint.secret
        endpoint.refresh_from_db()
        assert endpoint.previous_secret == old and endpoint.secret != old
        assert endpoint.secret in messages_text(rotated)
        # and send it a ping
        staff.post(button_link(rotated, "action", "ping"), {"csrfmiddlewaretoken": token.group(1)})
        run_tasks()
    assert Event.objects.filter(type="ping", only_endpoint_id=endpoint.pk).exists()
    assert [r.headers["webhook-id"] for r in hook.received] == [Event.objects.get(type="ping").pk]


def test_a_refused_url_is_shown_on_the_form_and_nothing_is_saved(login: Callable[..., Client], settings: object,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from integrations import delivery

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    monkeypatch.setattr(delivery, "resolve", lambda host, port: ["10.0.0.7"])
    staff = login("integrations")
    add = staff.get(object_link(staff.get(sidebar_link(staff.get("/admin/"), "Webhook endpoints")), "Add"))
    form = page_form(add, "webhookendpoint_form")
    form.update(url="https://internal.example.com/hook", events="order.*")
    response = staff.post(add.wsgi_request.path, form)
    assert response.status_code == 200
    assert "resolves to a non-public address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_failing_deliveries_are_found_and_resent(login: Callable[..., Client]) -> None:
    staff = login("integrations")
    item = failed_delivery()
    # when they open "Failing deliveries" and the delivery, and press "Resend now"
    failing = staff.get(sidebar_link(staff.get("/admin/"), "Failing deliveries"))
    assert [str(obj.pk) for obj in failing.context["cl"].result_list] == [item.pk]
    page = staff.get(object_link(failing, "customer.created"))
    # then they see why it failed: each attempt with the receiver's status, the error, what it answered and how
    # long it took; and the page, read-only, offers no "Save"
    assert attempt_rows(page) == [[str(a.number), local_minute(a.attempted_at), "500", str(a.duration_ms),
                                   a.error or "-", "ok"] for a in WebhookAttempt.objects.order_by("number")]
    assert 'name="_save"' not in page.content.decode() and 'name="_continue"' not in page.content.decode()
    tasks_before = DBTaskResult.objects.count()
    url = button_link(page, "action", "resend")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    done = staff.post(url, {"csrfmiddlewaretoken": token.group(1) if token else ""}, follow=True)
    # then it is pending again, with an attempt enqueued
    item.refresh_from_db()
    assert item.status == DeliveryStatus.PENDING
    assert DBTaskResult.objects.count() == tasks_before + 1
    assert f"Delivery {item.pk} will be sent again." in messages_text(done)


def test_the_webhook_figures_list_exactly_their_rows(login: Callable[..., Client]) -> None:
    staff = login("integrations")
    with receiver(plan=[500]) as hook:
        endpoint, _secret = services.webhook_endpoint_create(url=hook.url, events=["*"], actor=None)
        services.webhook_endpoint_create(url=hook.url + "/off", events=["*"], actor=None)
        off = WebhookEndpoint.objects.exclude(pk=endpoint.pk).get()
        services.webhook_endpoint_update(endpoint_id=off.pk, data={"is_active": False}, actor=None)
        sales.customer_create(actor=None, name="A", email="a@example.com")
        sales.customer_create(actor=None, name="B", email="b@example.com")
        run_tasks()
    shown = figures(staff.get("/admin/"))
    assert shown["Active endpoints"][0] == "1" and listed(staff, shown["Active endpoints"][1]) == {endpoint.pk}
    assert shown["Disabled endpoints"][0] == "1" and listed(staff, shown["Disabled endpoints"][1]) == {off.pk}
    pending = set(WebhookDelivery.objects.filter(status="pending").values_list("pk", flat=True))
    assert shown["Deliveries pending"][0] == str(len(pending)) == "1"
    assert listed(staff, shown["Deliveries pending"][1]) == pending


def test_other_roles_see_no_integrations(login: Callable[..., Client]) -> None:
    for role in ("sales", "warehouse", "finance"):
        staff = login(role)
        page = staff.get("/admin/").content.decode()
        assert "Webhook endpoints" not in page and "Failing deliveries" not in page
        assert staff.get("/admin/integrations/webhookendpoint/").status_code == 403
