"""Error reports: Sentry when SENTRY_DSN is set, with the request id attached; nothing without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh process (sentry_sdk.init patches Django for the whole process): Sentry's transport is swapped
# for one that keeps the events, then a view fails.
SCRIPT = """
import django, json, sentry_sdk
from sentry_sdk.transport import Transport
django.setup()
events = []
class Keep(Transport):
    def capture_envelope(self, envelope):
        events.extend(item.payload.json for item in envelope.items if item.type == "event")
client = sentry_sdk.get_client()
client.transport = Keep(client.options)
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.observability.raising_urls"):
    response = Client(raise_request_exception=False).get("/boom", HTTP_X_REQUEST_ID="req-sentry-1")
sentry_sdk.flush()
print(json.dumps({"active": client.is_active(), "dsn": client.dsn, "status": response.status_code,
                  "events": [{"tags": e.get("tags"), "type": e["exception"]["values"][-1]["type"],
                              "user": e.get("user")} for e in events]}))
"""


def test_errors_go_to_sentry_with_the_request_id_when_a_dsn_is_set() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=90, check=False,
        env={**env, "DJANGO_SETTINGS_MODULE": "synthesq.settings.test", "LOG_LEVEL": "CRITICAL",
             "SENTRY_DSN": "http://publickey@127.0.0.1:9/1", "SENTRY_ENVIRONMENT": "ci"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["active"] and report["status"] == 500
    [event] = report["events"]
    assert event["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert not event["user"]  # no personal data


def test_no_dsn_no_sentry() -> None:
    assert os.environ.get("SENTRY_DSN") is None
    assert not sentry_sdk.get_client().is_active()
