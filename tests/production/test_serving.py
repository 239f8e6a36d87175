"""A web node as production runs it: gunicorn with the production settings (DEBUG off) serves the API and a
styled admin (static files collected at start-up and served by WhiteNoise), logs JSON, stops gracefully, and
refuses to start while migrations are pending."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.test import Client

from bench.multinode import make_tokens
from bench.nodes import free_ports, node_environment, running_nodes, start_node, stop_node

from .helpers import database_url_for_processes

ROOT = Path(__file__).resolve().parents[2]


def test_static_files_are_served_in_tests_without_collectstatic() -> None:
    # (test settings: WhiteNoise reads the apps' static directories, as in development)
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gunicorn_serves_the_api_and_a_styled_admin_with_debug_off(tmp_path: Path) -> None:
    # given a production node on PostgreSQL that collects its static files at start-up
    static_root = tmp_path / "static"
    extra = {"COLLECTSTATIC_AT_START": "1", "STATIC_ROOT": str(static_root), "LOG_LEVEL": "INFO"}
    # (collecting and compressing every static file takes a minute on a busy 2-core machine)
    with running_nodes(1, database_url=database_url_for_processes(), workers=1, extra_env=extra,
                       log_dir=tmp_path, ready_timeout=240) as [node]:
        # when a browser opens the admin
        login = requests.get(f"{node.url}/admin/login/", timeout=10)
        # then the page links its stylesheet under a hashed name, served compressed and cached for good
        assert login.status_code == 200 and "DEBUG" not in login.text
        stylesheet = re.search(r'href="(/static/unfold/css/styles\.[0-9a-f]{12}\.css)"', login.text)
        assert stylesheet, login.text[:2000]
        css = requests.get(f"{node.url}{stylesheet.group(1)}", headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
        assert css.headers["Content-Encoding"] == "gzip"
        assert "immutable" in css.headers["Cache-Control"]
        assert (static_root / "staticfiles.json").exists()
        # and the API answers a token with JSON and echoes the request id
        token = make_tokens()["sales"]
        orders = requests.get(f"{node.url}/api/v1/sales/orders", timeout=10,
                              headers={"Authorization": f"Bearer {token}", "X-Request-ID": "serve-test-1"})
        assert orders.status_code == 200 and orders.json()["results"] == []
        assert orders.headers["X-Request-ID"] == "serve-test-1"
        # and a missing page is Django's plain 404, not a debug page
        missing = requests.get(f"{node.url}/nothing-here", timeout=10)
        assert missing.status_code == 404 and "Traceback" not in missing.text
    # and it stopped gracefully
    assert node.process.returncode == 0, node.log_tail()
    # and its log is JSON lines: one access line for that request, with its id (the app's: gunicorn writes none)
    lines = [json.loads(line) for line in node.log_path.read_text().splitlines() if line.startswith("{")]
    of_request = [line for line in lines if line.get("request_id") == "serve-test-1"]
    assert [line["logger"] for line in of_request] == ["django_structlog.middlewares.request"]
    [access] = of_request
    assert (access["event"], access["request"], access["code"]) == ("request_finished", "GET /api/v1/sales/orders", 200)
    assert access["bytes"] == len(orders.content) and access["remote_addr"] == "127.0.0.1"
    assert access["user_agent"].startswith("python-requests") and access["duration_ms"] > 0


def test_gunicorn_refuses_to_start_while_migrations_are_pending(tmp_path: Path) -> None:
    # given a database that has never been migrated
    env = node_environment(database_url=f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
                           secret_key=secrets.token_urlsafe(50), workers=1)
    # when a node starts on it
    node = start_node("unmigrated", port=free_ports(1)[0], env=env, log_dir=tmp_path)
    try:
        node.process.wait(timeout=60)
    finally:
        stop_node(node)
    # then it exits with an error naming the pending migrations and the release step, without serving
    assert node.process.returncode != 0
    log = node.log_path.read_text()
    assert "migration(s) not applied" in log and "manage.py migrate" in log
    assert "Booting worker" not in log


def test_the_wsgi_entry_point_defaults_to_the_production_settings() -> None:
    # given a WSGI server that imports synthesq.wsgi with no settings chosen (an installed copy's gunicorn)
    code = ("import synthesq.wsgi; from django.conf import settings; "
            "print(settings.SETTINGS_MODULE, settings.SECURE_SSL_REDIRECT, settings.DEBUG)")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECURE_SSL_REDIRECT"}}
    env |= {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "sales.example.com", "LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    # then it serves with the production settings: HTTPS redirect on, DEBUG off
    assert result.stdout.split() == ["synthesq.settings.production", "True", "False"]


def test_a_gunicorn_without_the_projects_configuration_refuses_to_boot(tmp_path: Path) -> None:
    # given gunicorn started on synthesq.wsgi without reading synthesq.gunicorn_conf (as `gunicorn synthesq.wsgi`
    # does outside a checkout: no gunicorn.conf.py there)
    env = node_environment(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", secret_key=secrets.token_urlsafe(50),
                           workers=1)
    port = free_ports(1)[0]
    (tmp_path / "empty.py").write_text("")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--config", str(tmp_path / "empty.py"), "--bind",
                             f"127.0.0.1:{port}", "synthesq.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    # then no worker boots (one worker, no start-up checks, HTML error pages would follow): it says how to start
    assert result.returncode != 0
    assert "gunicorn -c python:synthesq.gunicorn_conf" in result.stderr
    assert "Reason: Worker failed to boot" in result.stderr


def test_a_write_sent_over_plain_http_is_redirected_with_its_method_and_body() -> None:
    # given the production settings with the HTTPS redirect on (its default), and clients that call http://
    code = (
        "import django; django.setup(); from django.test import Client; c = Client();\n"
        "for method in ('get', 'head', 'post', 'patch', 'delete'):\n"
        "    r = getattr(c, method)('/api/v1/sales/orders', HTTP_HOST='sales.example.com')\n"
        "    print(method, r.status_code, r['Location'])\n"
        "r = c.post('/api/v1/sales/orders', HTTP_HOST='sales.example.com', HTTP_X_FORWARDED_PROTO='https')\n"
        "print('https-post', r.status_code, '-')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECURE_SSL_REDIRECT"}}
    env |= {"DJANGO_SETTINGS_MODULE": "synthesq.settings.production", "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "sales.example.com", "LOG_LEVEL": "CRITICAL"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    answers = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    https = "https://sales.example.com/api/v1/sales/orders"
    # then reads get 301 (followed with a GET), writes 308 (followed with the same method and body)
    assert answers["get"] == answers["head"] == ["301", https]
    assert answers["post"] == answers["patch"] == answers["delete"] == ["308", https]
    # and what the balancer forwards as HTTPS is served, not redirected
    assert answers["https-post"][0] == "401"
