"""Where log lines go (issue 20, item 14): stderr in every process, stdout only for a program's output. A web
node as production runs it (gunicorn, DEBUG off) with its two streams kept apart."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.nodes import free_ports, node_environment

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_node_writes_every_log_line_to_stderr(tmp_path: Path) -> None:
    # given a migrated database and a production node on it, its stdout and stderr captured apart
    database = tmp_path / "db.sqlite3"
    migrate_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, timeout=120,
                   capture_output=True, env={**migrate_env, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}"})
    port = free_ports(1)[0]
    env = node_environment(database_url=f"sqlite:///{database}", secret_key=secrets.token_urlsafe(50), workers=1,
                           extra={"LOG_LEVEL": "INFO", "GUNICORN_BIND": f"127.0.0.1:{port}"})
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        node = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:synthesq.gunicorn_conf",
                                 "synthesq.wsgi"], cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        # when a client calls it
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline and node.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "streams-1"},
                                      timeout=(2, 30))  # a loaded machine may take seconds to answer the first one
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, err.read_text()[-3000:]
    finally:
        os.killpg(node.pid, signal.SIGTERM)
        node.wait(timeout=30)
    # then the request's one access line (the app's: gunicorn writes none for a request the app logged) is on
    # stderr, with gunicorn's own lines
    lines = [json.loads(line) for line in err.read_text().splitlines() if line.startswith("{")]
    of_request = [line["logger"] for line in lines if line.get("request_id") == "streams-1"]
    assert of_request == ["django_structlog.middlewares.request"]
    assert "Booting worker" in err.read_text()
    # and stdout holds no log line (only what a command prints as its result, like prepare_to_serve's)
    assert not [line for line in out.read_text().splitlines() if line.startswith(("{", "["))], out.read_text()
