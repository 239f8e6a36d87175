"""Structured logs: every line of a request carries its request id; the closing line says who, which route,
the status and how long; JSON by default with DEBUG off, console lines with DEBUG on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, ProductFactory
from tests.log_capture import LogLines

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_line_of_a_request_carries_its_id_and_the_last_says_who_what_and_how_long(
    sales_api: APIClient, log_lines: LogLines
) -> None:
    # given a product and a customer
    product, customer = ProductFactory(stock=5), CustomerFactory()
    # when a sales user creates and confirms an order, with request ids of its own
    body = {"customer_id": customer.pk, "currency": product.currency,
            "line_items": [{"product_id": product.pk, "quantity": 2}]}
    created = sales_api.post("/api/v1/sales/orders", body, format="json", HTTP_X_REQUEST_ID="req-create")
    assert created.status_code == 201, created.content
    with_commit = sales_api.patch(f"/api/v1/sales/orders/{created.json()['id']}/status", {"status": "confirmed"},
                                  format="json", HTTP_X_REQUEST_ID="req-confirm")
    assert with_commit.status_code == 200
    # then the confirm request's closing line names the user, the route, the view, the status and the time
    lines = log_lines()
    finished = [line for line in lines if line["event"] == "request_finished"]
    confirm = next(line for line in finished if line["request_id"] == "req-confirm")
    assert confirm["user_id"] == sales_api.user.pk  # type: ignore[attr-defined]
    assert confirm["code"] == 200
    assert confirm["request"] == f"PATCH /api/v1/sales/orders/{created.json()['id']}/status"
    assert confirm["route"].endswith("/status/?$") and confirm["view"] == "order-change-status"
    assert confirm["duration_ms"] > 0
    assert confirm["level"] == "info" and confirm["timestamp"].endswith("Z")
    # and every line written during the requests carries one of their ids
    assert {line.get("request_id") for line in lines} == {"req-create", "req-confirm"}


def test_a_refused_request_logs_its_problem_code_as_a_warning(sales_api: APIClient, log_lines: LogLines) -> None:
    sales_api.get("/api/v1/sales/orders/ord_missing")
    finished = next(line for line in log_lines() if line["event"] == "request_finished")
    assert (finished["code"], finished["problem_code"], finished["level"]) == (404, "not_found", "warning")


def test_standard_library_records_share_the_format_and_the_request_context(log_lines: LogLines) -> None:
    import logging

    import structlog

    with structlog.contextvars.bound_contextvars(request_id="req-std"):
        logging.getLogger("sales.services").warning("Closing order %s failed", "ord_1")
    line = log_lines()[-1]
    assert line["event"] == "Closing order ord_1 failed"
    assert (line["request_id"], line["logger"], line["level"]) == ("req-std", "sales.services", "warning")


def _configured_format(**env: str) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "SECRET_KEY": "x" * 50, **env},
    )
    return result.stdout.strip()


def test_json_without_debug_console_with_debug_and_either_on_demand() -> None:
    assert _configured_format() == "json"
    assert _configured_format(DEBUG="1") == "console"
    assert _configured_format(DEBUG="1", LOG_FORMAT="json") == "json"


def test_console_lines_are_plain_text() -> None:
    code = ("import django; django.setup(); import logging; "
            "logging.getLogger('synthesq.check').warning('hello %s', 'console')")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "DEBUG": "1", "LOG_FORMAT": "",
             "FORCE_COLOR": ""},
    )
    assert "hello console" in result.stderr and result.stdout == ""  # logs on stderr, as in every process
    assert "\x1b[" not in result.stderr  # no colour codes in a pipe or a file
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stderr.strip().splitlines()[-1])
