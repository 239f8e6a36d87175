"""No secret in a log line or an error report (issue 20, item 16), seen from the operator's seat.

The failure the issue met: the database goes away while a request is being authenticated, the request answers
500, and the logged traceback (and the Sentry event) carried the frames' local variables, the raw bearer token
among them. Here a real server (gunicorn with the production settings, DEBUG off, JSON lines; runserver with
DEBUG on, rich console tracebacks) serves a real token, the token table then disappears from under it, and its
whole output (stdout and stderr, gunicorn's own error log included) is searched for the token. The Sentry test
captures the events a real ``sentry_sdk`` would send, through a transport that keeps them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.nodes import free_ports, node_environment, start_node, stop_node, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST", "SENTRY_")) and k not in {"DEBUG", "LOG_FORMAT", "LOG_LEVEL"}}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture(scope="module")
def served_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite database with an API user, and the plain token the operator created for it."""
    path = tmp_path_factory.mktemp("secrets") / "template.sqlite3"
    env = _clean_env(DEBUG="1", DATABASE_URL=f"sqlite:///{path}")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    created = subprocess.run([*manage, "create_api_token", "integration", "--groups", "sales"], cwd=ROOT,
                             env=env, check=True, capture_output=True, text=True, timeout=60)
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("sqs_"), created.stdout
    return path, token


@pytest.fixture
def database(served_database: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    template, token = served_database
    path = tmp_path / "db.sqlite3"
    shutil.copy(template, path)
    return path, token


def _break_authentication(path: Path) -> None:
    """The token table goes away under the running server (as when its database does)."""
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE core_apitoken RENAME TO core_apitoken_gone")


def _leaks(text: str, token: str) -> list[str]:
    """The parts of ``token`` found in ``text`` (colour codes removed; any 10 characters of its random part,
    so a token wrapped over two lines is found too)."""
    plain = _ANSI.sub("", text)
    random_part = token.removeprefix("sqs_")
    pieces = [token, *(random_part[i:i + 10] for i in range(0, len(random_part) - 9, 5))]
    return [piece for piece in pieces if piece in plain]


def _orders(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/api/v1/sales/orders", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_gunicorn_with_debug_off_logs_a_failure_inside_authentication_without_the_token(
    database: tuple[Path, str], tmp_path: Path
) -> None:
    # given a production node (JSON logs, gunicorn's error log beside them) serving a real token
    path, token = database
    env = node_environment(database_url=f"sqlite:///{path}", secret_key=secrets.token_urlsafe(50), workers=1,
                           extra={"LOG_LEVEL": "INFO"})
    node = start_node("secrets", port=free_ports(1)[0], env=env, log_dir=tmp_path)
    try:
        wait_until_ready(node, timeout=90)
        assert _orders(node.url, token).status_code == 200
        # when the token table goes away and the integration calls again
        _break_authentication(path)
        failed = _orders(node.url, token)
    finally:
        stop_node(node)
    # then the call fails with a 500
    assert failed.status_code == 500
    log = node.log_path.read_text()
    # and the failure is logged with its traceback, as JSON, without any frame's local variables
    errors = [json.loads(line) for line in log.splitlines()
              if line.startswith("{") and '"exception"' in line]
    assert errors, log[-3000:]
    for line in errors:
        assert "no such table: core_apitoken" in json.dumps(line["exception"])
        assert all("locals" not in frame for error in line["exception"] for frame in error["frames"])
    # and no line of the node's output (the app's, gunicorn's) holds the token or a piece of it
    assert _leaks(log, token) == []


def test_runserver_with_debug_on_logs_a_failure_inside_authentication_without_the_token(
    database: tuple[Path, str], tmp_path: Path
) -> None:
    # given the development server (DEBUG on: console lines, rich tracebacks) serving a real token
    path, token = database
    port = free_ports(1)[0]
    output = tmp_path / "runserver.log"
    env = _clean_env(DEBUG="1", DATABASE_URL=f"sqlite:///{path}")
    with output.open("wb") as sink:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                                  cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert _orders(f"http://127.0.0.1:{port}", token).status_code == 200
        # when the token table goes away and the integration calls again
        _break_authentication(path)
        failed = _orders(f"http://127.0.0.1:{port}", token)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # then the call fails with a 500 and the console shows the traceback
    assert failed.status_code == 500
    log = _ANSI.sub("", output.read_text(errors="replace"))
    assert "OperationalError" in log and "no such table: core_apitoken" in log
    # and neither the console nor Django's debug page holds the token or a piece of it
    assert _leaks(log, token) == []
    assert _leaks(failed.text, token) == []


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if requests.get(url, timeout=(2, 30)).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


# Runs in a fresh process (sentry_sdk.init patches Django for the whole process): the transport keeps what
# would have been sent (the serialized envelopes, every byte of them), then the token table is gone and the
# integration calls.
SENTRY_SCRIPT = """
import django, json, sentry_sdk, sys
from sentry_sdk.transport import Transport
django.setup()
sent, events = [], []
class Keep(Transport):
    def capture_envelope(self, envelope):
        sent.append(envelope.serialize().decode("utf-8", "replace"))
        events.extend(item.payload.json for item in envelope.items if item.type == "event")
client = sentry_sdk.get_client()
client.transport = Keep(client.options)
from django.test import Client
response = Client(raise_request_exception=False).get(
    "/api/v1/sales/orders", HTTP_AUTHORIZATION="Bearer " + sys.argv[1], HTTP_X_WEBHOOK_SECRET="whsec_c2VjcmV0c2VjcmV0")
sentry_sdk.flush()
print(json.dumps({"status": response.status_code, "sent": sent, "events": events}))
"""


@pytest.fixture
def broken_database(database: tuple[Path, str]) -> Iterator[tuple[Path, str]]:
    _break_authentication(database[0])
    yield database


def test_a_failure_inside_authentication_sends_sentry_no_token(broken_database: tuple[Path, str]) -> None:
    # given Sentry configured, DEBUG off, and a database whose token table is gone
    path, token = broken_database
    env = _clean_env(DJANGO_SETTINGS_MODULE="synthesq.settings.base", SECRET_KEY=secrets.token_urlsafe(50),
                     ALLOWED_HOSTS="testserver", DATABASE_URL=f"sqlite:///{path}",
                     SENTRY_DSN="http://publickey@127.0.0.1:9/1", SENTRY_ENVIRONMENT="ci")
    # when an integration calls with its token
    result = subprocess.run([sys.executable, "-c", SENTRY_SCRIPT, token], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # then Sentry gets the error, with its stack but without local variables or the Authorization header
    assert report["status"] == 500
    [event] = report["events"]
    # (the values run from the first cause to the exception raised: Django's, through our authentication)
    raised = event["exception"]["values"][-1]
    assert raised["type"] == "OperationalError" and "no such table: core_apitoken" in raised["value"]
    frames = raised["stacktrace"]["frames"]
    assert any(frame["function"] == "authenticate" for frame in frames)
    assert all("vars" not in frame for value in event["exception"]["values"]
               for frame in (value.get("stacktrace") or {}).get("frames", []))
    headers = {name.lower(): value for name, value in (event["request"].get("headers") or {}).items()}
    assert "whsec_c2VjcmV0c2VjcmV0" not in json.dumps(event)
    assert headers.get("authorization") in (None, "[Filtered]", "[redacted]")
    # and nothing that would have been sent holds the token or a piece of it, nor does the process's log
    assert report["sent"] and _leaks("".join(report["sent"]), token) == []
    assert _leaks(result.stdout + result.stderr, token) == []
