"""Over-long requests through a real gunicorn: no answer is gunicorn's HTML page. What fits gunicorn's limits (an
8190-byte request line, 16 KiB headers) reaches the product, which refuses what it does not accept in its own
format; beyond them gunicorn refuses with 414 or 431, as a problem document too."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.multinode import make_tokens
from bench.nodes import Node, running_nodes

from .helpers import database_url_for_processes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with running_nodes(1, database_url=database_url_for_processes(), workers=1, log_dir=tmp_path) as [started]:
        yield started


def assert_problem(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json", response.headers
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:synthesq:problem:{code}")
    assert body["title"] and body["detail"]
    assert "<html" not in response.text.lower()


def test_over_long_request_lines_and_headers_answer_problem_documents(node: Node) -> None:
    token = make_tokens()["sales"]
    auth = {"Authorization": f"Bearer {token}"}
    orders = f"{node.url}/api/v1/sales/orders"
    # given a search that gunicorn's former limit (4094 bytes) refused with its HTML page: now it is served
    served = requests.get(orders, params={"search": "S" * 6000}, headers=auth, timeout=10)
    assert served.status_code == 200, served.text[:300]
    assert served.json()["results"] == []
    # when a search makes the request line longer than 8190 bytes: 414 as a problem document
    assert_problem(requests.get(orders, params={"search": "S" * 8192}, headers=auth, timeout=10),
                   414, "uri_too_long")
    # when a 10 KB bearer token comes: the product refuses it as it refuses any unknown token
    assert_problem(requests.get(orders, headers={"Authorization": "Bearer " + "t" * 10_240}, timeout=10),
                   401, "not_authenticated")
    # when a 10 KB Idempotency-Key comes: the product's own limit (255 characters) answers
    refused_key = requests.post(orders, json={}, timeout=10, headers={**auth, "Idempotency-Key": "k" * 10_240})
    assert_problem(refused_key, 400, "validation_error")
    assert "Idempotency-Key" in refused_key.text
    # when a header is longer than gunicorn takes (16 KiB), or there are too many: 431 as a problem document
    assert_problem(requests.get(orders, headers={**auth, "X-Filler": "x" * 20_000}, timeout=10),
                   431, "header_too_large")
    many = {f"X-Filler-{number}": "x" for number in range(120)}
    assert_problem(requests.get(orders, headers={**auth, **many}, timeout=10), 431, "header_too_large")
    # and a request that is not HTTP/1.1 at all is refused with a problem document too
    status, headers, body = raw_exchange(node, b"GET\x01 /api/v1/sales/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert (status, headers["content-type"]) == (400, "application/problem+json")
    assert json.loads(body)["code"] == "malformed_request"


def raw_exchange(node: Node, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP client would, read the whole answer (gunicorn closes the connection after an error)."""
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body
