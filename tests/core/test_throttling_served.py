"""Throttling from the client's side: a gunicorn node of 3 workers, each replaced after 15 requests, hammered
over HTTP from several threads. The token's limit holds across the workers and their replacements (burst +
rate, not an allowance per worker), a flood of wrong tokens from one address is refused while a valid token from
that address is served, and a 429 says when to come back (``Retry-After``), which then holds. Once on SQLite
(``make run``'s embedded default: one file the processes share) and once on PostgreSQL."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bench.nodes import ROOT, Node, node_environment, running_nodes
from synthesq.core.services import api_token_create, api_user_provision
from tests.production.helpers import database_url_for_processes

TOKEN_INTERVAL, TOKEN_BURST = 5.0, 20  # 12/min
FAILED_AUTH_INTERVAL, FAILED_AUTH_BURST = 10.0, 5  # 6/min
NODE_ENV = {
    "API_THROTTLE_TOKEN_RATE": "12/min", "API_THROTTLE_TOKEN_BURST": str(TOKEN_BURST),
    "API_THROTTLE_FAILED_AUTH_RATE": "6/min", "API_THROTTLE_FAILED_AUTH_BURST": str(FAILED_AUTH_BURST),
    # every worker replaced after 15 requests: a counter kept in a worker would start again with each new one
    "GUNICORN_MAX_REQUESTS": "15", "GUNICORN_MAX_REQUESTS_JITTER": "0", "GUNICORN_LOG_LEVEL": "info",
}
PATH = "/api/v1/sales/customers"


@dataclass(frozen=True)
class Answer:
    token: str
    status: int
    retry_after: str | None
    code: str | None


def _get(url: str, token: str, session: requests.Session) -> Answer:
    response = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    code = response.json().get("code") if response.status_code >= 400 else None
    return Answer(token=token, status=response.status_code, retry_after=response.headers.get("Retry-After"),
                  code=code)


def _send_all(node: Node, tokens: list[str], *, threads: int = 6) -> tuple[list[Answer], float]:
    """Each token's request, from ``threads`` client threads at once; the answers and the seconds it took."""
    local = threading.local()

    def send(token: str) -> Answer:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return _get(f"{node.url}{PATH}", token, local.session)

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(send, tokens))
    return answers, time.monotonic() - started


def _assert_refusals_say_when(answers: list[Answer], *, longest: float) -> None:
    for answer in answers:
        if answer.status == 429:
            assert answer.code == "throttled"
            assert answer.retry_after is not None and 1 <= int(answer.retry_after) <= longest, answer


def _assert_limits_hold_from_the_client_side(node: Node, *, token: str, neighbour: str) -> None:
    # (a) when one token sends 90 requests from 6 threads at once, across 3 workers replaced as they go
    answers, elapsed = _send_all(node, [token] * 90)
    # then what went through is its burst plus its rate over the time it took, not an allowance per worker
    statuses = [answer.status for answer in answers]
    assert set(statuses) <= {200, 429}, statuses
    allowed = statuses.count(200)
    print(f"one token: {allowed} of 90 let through in {elapsed:.1f} s")
    assert TOKEN_BURST <= allowed <= TOKEN_BURST + elapsed / TOKEN_INTERVAL + 1, (allowed, elapsed)
    _assert_refusals_say_when(answers, longest=TOKEN_INTERVAL)
    # and the workers were replaced meanwhile (more boots than the 3 first workers)
    log = node.log_path.read_text(errors="replace")
    assert log.count("Autorestarting worker") >= 3 and log.count("Booting worker") >= 6, node.log_tail()

    # (b) when 40 wrong tokens come from this address, with a valid neighbour's requests among them
    flood = [f"sqs_wrong_guess_{i}" for i in range(40)]
    for position in range(0, 40, 5):
        flood.insert(position + position // 5, neighbour)
    answers, elapsed = _send_all(node, flood)
    wrong = [answer for answer in answers if answer.token != neighbour]
    evaluated = sum(answer.status == 401 for answer in wrong)
    print(f"wrong tokens: {evaluated} of 40 evaluated (401) in {elapsed:.1f} s, the rest 429")
    # then the wrong ones get their burst of 401s plus the rate, and 429 after it, saying when to retry
    assert {answer.status for answer in wrong} == {401, 429}
    assert FAILED_AUTH_BURST <= evaluated <= FAILED_AUTH_BURST + elapsed / FAILED_AUTH_INTERVAL + 1, evaluated
    _assert_refusals_say_when(wrong, longest=FAILED_AUTH_INTERVAL)
    # while the valid token from the same address is served every time, during the flood and after it
    assert [answer.status for answer in answers if answer.token == neighbour] == [200] * 8
    session = requests.Session()
    assert _get(f"{node.url}{PATH}", neighbour, session).status == 200

    # (c) when the throttled token is refused, then waiting the Retry-After it was given is enough
    refused = next(answer for answer in (_get(f"{node.url}{PATH}", token, session) for _ in range(20))
                   if answer.status == 429)
    assert refused.retry_after is not None
    time.sleep(int(refused.retry_after))
    assert _get(f"{node.url}{PATH}", token, session).status == 200


def test_limits_hold_across_gunicorn_workers_on_sqlite(tmp_path: Path) -> None:
    # given a migrated SQLite database file with two API tokens (the processes share the file)
    database = tmp_path / "throttle.sqlite3"
    database_url = f"sqlite:///{database}"
    env = node_environment(database_url=database_url, secret_key=secrets.token_urlsafe(50), workers=1)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from synthesq.core.services import api_token_create, api_user_provision\n"
         "for name in ('hammer', 'neighbour'):\n"
         "    user, _ = api_user_provision(username=name, groups=['sales'])\n"
         "    print(api_token_create(user=user, name=name)[1])"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120)
    token, neighbour = [line for line in made.stdout.splitlines() if line.startswith("sqs_")]
    # when a node of 3 workers serves it, then every limit holds from the client's side
    with running_nodes(1, database_url=database_url, workers=3, extra_env=NODE_ENV, log_dir=tmp_path) as [node]:
        _assert_limits_hold_from_the_client_side(node, token=token, neighbour=neighbour)
    # and the counters were in the database file, where every worker sees them
    with sqlite3.connect(database) as db:
        keys = {key for (key,) in db.execute("SELECT key FROM core_throttlebucket")}
    assert "failed_auth:127.0.0.1" in keys and any(key.startswith("token:") for key in keys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_limits_hold_across_gunicorn_workers_on_postgresql(tmp_path: Path) -> None:
    # given two API tokens in the test database
    tokens = []
    for name in ("hammer", "neighbour"):
        user, _created = api_user_provision(username=name, groups=["sales"])
        tokens.append(api_token_create(user=user, name=name)[1])
    # when a node of 3 workers serves it, then every limit holds from the client's side
    with running_nodes(1, database_url=database_url_for_processes(), workers=3, extra_env=NODE_ENV,
                       log_dir=tmp_path) as [node]:
        _assert_limits_hold_from_the_client_side(node, token=tokens[0], neighbour=tokens[1])
