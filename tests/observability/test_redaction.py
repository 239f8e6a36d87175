"""The redaction nets under the log formatter and Sentry: values under secret-naming keys and credential-shaped
text are replaced, in JSON and console lines alike; everything else passes unchanged."""

from __future__ import annotations

import io
import logging

import structlog

from synthesq.observability.logs import structured_formatter
from synthesq.observability.redaction import REDACTED, redact, redact_text
from tests.log_capture import LogLines

TOKEN = "sqs_3vQm1n0Ps6cWfB1y2ZxKJd7h8T0aLkqR5u9sYwEo4iF"
WEBHOOK_SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="


def test_values_under_secret_names_are_replaced_at_any_depth() -> None:
    # given a payload with secrets under the names they go by, and ordinary fields beside them
    payload = {"headers": {"Authorization": "Basic dXNlcjpwYXNz", "Accept": "application/json"},
               "endpoint": {"url": "https://example.com/hook", "secret": "s", "previous_secret": "p"},
               "META": {"HTTP_AUTHORIZATION": "x", "HTTP_COOKIE": "sessionid=1"},
               "form": [{"password": "hunter2", "username": "ann"}], "token": None, "api_token": "t",
               "token_id": 7, "previous_secret_expires_at": "2026-12-06T10:00:00Z"}
    # when it is redacted
    redacted = redact(payload)
    # then every secret is gone and everything else (what is only about a secret too) is as it was
    assert redacted == {
        "headers": {"Authorization": REDACTED, "Accept": "application/json"},
        "endpoint": {"url": "https://example.com/hook", "secret": REDACTED, "previous_secret": REDACTED},
        "META": {"HTTP_AUTHORIZATION": REDACTED, "HTTP_COOKIE": REDACTED},
        "form": [{"password": REDACTED, "username": "ann"}], "token": None, "api_token": REDACTED,
        "token_id": 7, "previous_secret_expires_at": "2026-12-06T10:00:00Z"}
    assert payload["form"][0]["password"] == "hunter2"  # a copy: the caller's data is untouched


def test_credential_shaped_text_is_replaced_wherever_it_appears() -> None:
    text = f"retry with Authorization: Bearer {TOKEN}; signed with {WEBHOOK_SECRET} for order ord_7Hq2"
    assert redact_text(text) == (f"retry with Authorization: Bearer {REDACTED}; signed with {REDACTED} "
                                 "for order ord_7Hq2")
    assert redact_text(f"token={TOKEN}") == f"token={REDACTED}"


def test_a_json_log_line_carries_no_secret_in_its_fields_message_or_exception(log_lines: LogLines) -> None:
    # given code that logs carelessly: a secret as a field, in the message, in an exception's text
    log = structlog.get_logger("synthesq.careless")
    log.info("calling out with Bearer %s", TOKEN, authorization=f"Bearer {TOKEN}", secret=WEBHOOK_SECRET)
    try:
        raise RuntimeError(f"refused token {TOKEN}")
    except RuntimeError:
        logging.getLogger("synthesq.careless").exception("call failed")
    # then the lines say what happened without the secrets
    called, failed = log_lines()[-2:]
    assert called["event"] == f"calling out with Bearer {REDACTED}"
    assert (called["authorization"], called["secret"]) == (REDACTED, REDACTED)
    assert failed["exception"][0]["exc_value"] == f"refused token {REDACTED}"
    assert TOKEN not in str(called) + str(failed) and WEBHOOK_SECRET not in str(called) + str(failed)


def test_a_console_traceback_shows_no_local_variables_and_no_secret() -> None:
    # given the console format (DEBUG on) writing to a stream
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter("console"))
    logger = logging.getLogger("synthesq.console-check")
    logger.addHandler(handler)
    logger.propagate = False
    # when a function holding a token in a local variable fails and the failure is logged
    def authenticate(plain: str) -> None:
        header = [b"Bearer", plain.encode()]
        password = "-".join(["hunter2", "in", "a", "local"])  # not credential-shaped: only "no locals" hides it
        raise ConnectionError(f"database went away ({len(header)} parts, {len(password)})")

    try:
        authenticate(TOKEN)
    except ConnectionError:
        logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    # then the traceback is there, its locals and the token are not
    output = stream.getvalue()
    assert "ConnectionError" in output and "database went away" in output
    assert TOKEN not in output and TOKEN[4:20] not in output and "hunter2-in-a-local" not in output
