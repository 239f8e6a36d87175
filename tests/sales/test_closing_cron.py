"""The batch close as cron runs it (issue 20, item 14): ``manage.py close_delivered_orders --json`` in its own
process, its stdout piped to a JSON reader. A command's report owns stdout; its log lines (the business events
of the run, JSON or console) go to stderr, with DEBUG on and off alike."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Two orders delivered long before the return window (made through the services, as the app makes them).
SEED = """
import django
django.setup()
from tests.sales.helpers import days_ago, delivered_order
delivered_order(days_ago(70))
delivered_order(days_ago(80))
"""


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST")) and k not in {"DEBUG", "LOG_FORMAT", "LOG_LEVEL", "SECRET_KEY"}}
    return {**env, **extra}


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cron") / "template.sqlite3"
    env = _environment(DEBUG="1", DATABASE_URL=f"sqlite:///{path}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, check=True, capture_output=True, timeout=120,
                   env={**env, "DJANGO_SETTINGS_MODULE": "synthesq.settings.test"})
    return path


@pytest.mark.parametrize(("debug_env", "log_format"), [
    ({"DEBUG": "1"}, "console"),
    ({"SECRET_KEY": "cron-" + "k" * 50}, "json"),
], ids=["debug-on", "debug-off"])
def test_the_json_report_alone_is_on_stdout_and_the_logs_on_stderr(
    seeded_database: Path, tmp_path: Path, debug_env: dict[str, str], log_format: str
) -> None:
    # given a database with two orders to close, and the environment cron runs the command in
    database = tmp_path / "db.sqlite3"
    shutil.copy(seeded_database, database)
    env = _environment(DATABASE_URL=f"sqlite:///{database}", PYTHON=sys.executable, **debug_env)
    # when cron runs the command with its report piped into a JSON reader
    pipeline = '"$PYTHON" manage.py close_delivered_orders --json | "$PYTHON" -m json.tool'
    result = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    # then both ends of the pipe succeed and the whole of stdout is the report
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert (report["closed"], report["invoices_issued"], report["failed"]) == (2, 2, [])
    # and the run's log lines are on stderr, in the format of the environment
    events = [line for line in result.stderr.splitlines() if "batch_close_run" in line]
    assert len(events) == 1, result.stderr[-3000:]
    if log_format == "json":
        assert json.loads(events[0])["closed"] == 2
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(events[0])
