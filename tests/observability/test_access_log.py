"""One access line per request (synthesq.observability.access_log): the app's ``request_finished`` line with the
request id, the user, the route, the status, the size and the time; gunicorn writes no second line for it."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from unittest import mock

import pytest
from rest_framework.test import APIClient

from synthesq.observability.access_log import ACCESS_LOGGED
from tests.helpers import gunicorn_configuration
from tests.log_capture import LogLines

JsonAccessLogger = gunicorn_configuration().JsonAccessLogger

pytestmark = pytest.mark.django_db


def test_an_api_request_writes_one_access_line_with_its_id_user_route_status_size_and_time(
        sales_api: APIClient, log_lines: LogLines) -> None:
    # when a sales user lists orders with a request id of its own
    response = sales_api.get("/api/v1/sales/orders?limit=5", HTTP_X_REQUEST_ID="req-access-1",
                             HTTP_USER_AGENT="access-test/1.0")
    assert response.status_code == 200
    # then exactly one line is written for the request, the access line
    [line] = [line for line in log_lines() if line.get("request_id") == "req-access-1"]
    assert (line["event"], line["logger"], line["level"]) == (
        "request_finished", "django_structlog.middlewares.request", "info")
    # with the user, the client, the request, the route, the view, the status, the size and the time
    assert line["user_id"] == sales_api.user.pk  # type: ignore[attr-defined]
    assert line["ip"] == line["remote_addr"] == "127.0.0.1"
    assert line["request"] == "GET /api/v1/sales/orders?limit=5" and line["code"] == 200
    assert line["route"].startswith("api/v1/sales/orders") and line["view"] == "order-list"
    assert line["bytes"] == len(response.content) and line["user_agent"] == "access-test/1.0"
    assert line["duration_ms"] > 0 and line["timestamp"].endswith("Z")
    # and the request is marked as logged, so gunicorn writes no line of its own
    assert response.wsgi_request.META[ACCESS_LOGGED] is True  # type: ignore[attr-defined]


def test_an_unauthenticated_request_is_logged_as_a_warning_without_a_user(log_lines: LogLines) -> None:
    response = APIClient().get("/api/v1/sales/orders", HTTP_X_REQUEST_ID="req-access-2")
    [line] = [line for line in log_lines() if line.get("request_id") == "req-access-2"]
    assert (line["code"], line["level"], line["user_id"]) == (401, "warning", None)
    assert line["bytes"] == len(response.content)


def test_with_its_level_off_no_line_is_written_and_gunicorn_writes_none_either(
        sales_api: APIClient, log_lines: LogLines) -> None:
    # given the request log's level off (LOG_LEVEL=WARNING: a 2xx line is INFO)
    request_log = logging.getLogger("django_structlog.middlewares.request")
    request_log.setLevel(logging.WARNING)  # setLevel, not the attribute: it clears the loggers' level caches
    try:
        response = sales_api.get("/api/v1/sales/orders?limit=5", HTTP_X_REQUEST_ID="req-access-off")
    finally:
        request_log.setLevel(logging.NOTSET)
    assert response.status_code == 200
    # then no line for the request, and gunicorn is told not to write one either
    assert [line for line in log_lines() if line.get("request_id") == "req-access-off"] == []
    assert response.wsgi_request.META[ACCESS_LOGGED] is True  # type: ignore[attr-defined]


def test_an_admin_page_is_logged_with_its_signed_in_user(admin_client, log_lines: LogLines) -> None:
    admin_client.get("/admin/", HTTP_X_REQUEST_ID="req-access-3")
    [line] = [line for line in log_lines() if line.get("request_id") == "req-access-3"]
    assert line["code"] == 200 and line["user_id"] is not None and line["view"] == "admin:index"


def _gunicorn_logger() -> SimpleNamespace:
    atoms = {"{x-request-id}o": "req-g", "h": "127.0.0.1", "m": "GET", "U": "/x", "q": "", "s": "400", "B": 10,
             "D": 1500, "a": "curl"}
    return SimpleNamespace(cfg=SimpleNamespace(accesslog="-"), access_log=mock.Mock(), atoms=lambda *a: atoms,
                           exception=mock.Mock())


def test_gunicorn_writes_an_access_line_only_for_requests_the_app_did_not_log() -> None:
    # given gunicorn's access logger
    logged, not_logged = _gunicorn_logger(), _gunicorn_logger()
    # when a request the app logged ends, and one the app never saw
    JsonAccessLogger.access(logged, None, None, {ACCESS_LOGGED: True}, None)  # type: ignore[arg-type]
    JsonAccessLogger.access(not_logged, None, None, {}, None)  # type: ignore[arg-type]
    # then only the second gets gunicorn's line
    logged.access_log.info.assert_not_called()
    [call] = not_logged.access_log.info.call_args_list
    assert '"request_id": "req-g"' in call.args[0] and '"status": 400' in call.args[0]


@pytest.mark.parametrize("headers", [
    {"REMOTE_ADDR": "127.0.0.1"},
    {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"},
    {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_REAL_IP": "198.51.100.20", "HTTP_FORWARDED": "for=192.0.2.60;proto=https"},
    {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "unknown, not-an-ip"},
    {"REMOTE_ADDR": "", "HTTP_CF_CONNECTING_IP": "2001:db8::1"},
])
def test_the_logged_client_address_is_django_ipwares_for_the_same_headers(headers: dict[str, str]) -> None:
    from django.test import RequestFactory
    from ipware import get_client_ip

    from synthesq.observability.access_log import client_ip

    request = RequestFactory().get("/", **headers)
    assert client_ip(request) == get_client_ip(request)[0]
    assert client_ip(request) == get_client_ip(request)[0]  # and again, remembered
