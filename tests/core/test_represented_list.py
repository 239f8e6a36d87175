"""An API response (a list, one object, a write, an error) is freed once the server has written it, without the
garbage collector: DRF leaves it in reference cycles, with its data; the API's middleware takes it out of them
once rendered (``synthesq.core.pipeline.let_go``, issue 25)."""

from __future__ import annotations

import gc
import io
import sys
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _served(path: str, query: str, token: str, *, method: str = "GET", body: bytes = b"",
            status: str = "200 OK") -> Any:
    """The response the WSGI handler gives a server, its body written out and the response closed, as a server
    does (the test's connection kept open, as Django's test client keeps it)."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "QUERY_STRING": query, "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses == [status]
    return response


def test_a_page_of_orders_is_freed_once_written(client_for: Callable[..., APIClient], no_collector: None) -> None:
    # given a page of orders, served
    OrderFactory()
    api = client_for("sales")
    response = _served("/api/v1/sales/orders", "limit=50", api.token.plain)  # type: ignore[attr-defined]
    assert len(response.data["results"]) == 1
    served = weakref.ref(response)
    # when the server drops it, then it (and its data) is gone at once: no collection ran
    del response
    assert served() is None


@pytest.mark.parametrize(("method", "suffix", "body", "status"), [
    ("GET", "", b"", "200 OK"),
    ("PATCH", "/status", b'{"status": "confirmed"}', "200 OK"),
    ("PATCH", "/status", b'{"status": "shipped"}', "409 Conflict"),
])
def test_an_order_answer_is_freed_once_written(client_for: Callable[..., APIClient], no_collector: None,
                                               method: str, suffix: str, body: bytes, status: str) -> None:
    # given an order read, confirmed or refused a move, served
    order = OrderFactory()
    api = client_for("sales")
    response = _served(f"/api/v1/sales/orders/{order.pk}{suffix}", "", api.token.plain,  # type: ignore[attr-defined]
                       method=method, body=body, status=status)
    assert response.data
    served = weakref.ref(response)
    # when the server drops it, then it (and its data) is gone at once: no collection ran
    del response
    assert served() is None
