"""The README's production block for an installed copy ("Without a checkout"), run as written from a wheel built
from this checkout, in a directory outside it, by bash: it serves the API and the styled admin over plain HTTP,
its start finds the static files collected at install time, and the installed copy refuses to serve without what
a node needs, saying what.

Only the block's placeholders are filled: the install path (``/srv/synthesq``), the database (this test's) and
``PORT``. Installing every dependency again from the registry would take minutes: the new virtualenv sees the
locked ones of this checkout's virtualenv through a ``.pth`` file (so the block's ``pip install -c
requirements.lock`` finds them satisfied, offline), and gets the ``gunicorn`` script pip would have written had it
installed gunicorn there. Nothing of the checkout is importable from there (asserted)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

from bench.nodes import free_ports

from .helpers import database_url_for_processes
from .test_packaging import ROOT, leave_the_checkout_clean, run  # noqa: F401 (an autouse fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

README_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/synthesq"
README_PREFIX = "/srv/synthesq"


def readme_production_block() -> str:
    """The shell block that follows "Without a checkout" in the README, as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Without a checkout"):]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "no sh block after 'Without a checkout'"
    return match.group(1)


def operator_environment(**extra: str) -> dict[str, str]:
    """A shell of an operator: no virtualenv active, no Django settings, ``python3`` is this Python (the one the
    borrowed dependencies were built for), nothing of the checkout on PATH or PYTHONPATH."""
    bin_dir = Path(extra.pop("BIN_DIR"))
    path = [str(bin_dir)] + [entry for entry in os.environ.get("PATH", "").split(os.pathsep)
                             if entry and not entry.startswith(str(ROOT)) and "/.venv" not in entry]
    env = {"PATH": os.pathsep.join(path), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the block exited with {process.returncode}:\n{log.read_text()[-5000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"not ready after {timeout:.0f}s:\n{log.read_text()[-5000:]}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.returncode


def test_the_readmes_production_block_serves_the_api_and_the_styled_admin_from_a_wheel(tmp_path: Path) -> None:
    # given a wheel built from this checkout, and an operator's directory outside it holding the release
    operator = tmp_path / "operator"
    (operator / "dist").mkdir(parents=True)
    run(sys.executable, "-m", "build", "--wheel", "--outdir", operator / "dist", ROOT, cwd=ROOT)
    shutil.copy(ROOT / "requirements.lock", operator / "requirements.lock")
    prefix = tmp_path / "srv-synthesq"
    bin_dir = tmp_path / "bin"  # `python3` for the operator: this Python
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys._base_executable)  # type: ignore[attr-defined]
    # (the dependencies borrowed from this virtualenv, and the gunicorn script pip would have installed)
    run(bin_dir / "python3", "-m", "venv", prefix, cwd=tmp_path)
    site = Path(run(prefix / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp_path).strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (prefix / "bin" / "gunicorn").write_text(
        f"#!{prefix / 'bin' / 'python'}\nimport sys\nfrom gunicorn.app.wsgiapp import run\nsys.exit(run())\n")
    (prefix / "bin" / "gunicorn").chmod(0o755)
    # when the README's block runs as written (placeholders filled), from the operator's directory
    block = readme_production_block()
    assert README_DATABASE_URL in block and README_PREFIX in block
    script = block.replace(README_PREFIX, str(prefix)).replace(README_DATABASE_URL, database_url_for_processes())
    port = free_ports(1)[0]
    # (pip offline: the block's install must find every dependency satisfied, and never wait on an index)
    env = operator_environment(BIN_DIR=str(bin_dir), PORT=str(port), WEB_CONCURRENCY="2", PIP_NO_INDEX="1",
                               PIP_DISABLE_PIP_VERSION_CHECK="1")
    log = tmp_path / "block.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=operator, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        # (installing, then collecting every static file, take a minute or two on a busy machine)
        wait_for(f"{url}/readyz", process, log, timeout=600)
        # then the installed copy, not the checkout, is what serves
        installed = run(prefix / "bin" / "python", "-c", "import synthesq; print(synthesq.__file__)",
                        cwd=operator, env=env).strip()
        assert installed.startswith(str(site)), installed
        # and the admin's login page is styled: its stylesheet is served, as CSS
        login = requests.get(f"{url}/admin/login/", timeout=10)
        assert login.status_code == 200, login.text[:500]
        stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', login.text)
        assert any(re.fullmatch(r"/static/unfold/css/styles\.[0-9a-f]{12}\.css", href) for href in stylesheets)
        for href in stylesheets:
            css = requests.get(f"{url}{href}", timeout=10)
            assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css"), href
        # and the API serves a token made with the installed copy's command line, writes included (no redirect)
        made = run(prefix / "bin" / "synthesq-sales", "create_api_token", "wheel-operator", "--groups", "sales",
                   cwd=operator, env={**env, "DJANGO_SETTINGS_MODULE": "synthesq.settings.production",
                                      "DATABASE_URL": database_url_for_processes(),
                                      "SECRET_KEY": secrets.token_urlsafe(50), "LOG_LEVEL": "WARNING"})
        auth = {"Authorization": f"Bearer {made.strip().splitlines()[-1]}"}
        orders = requests.get(f"{url}/api/v1/sales/orders", headers=auth, timeout=10, allow_redirects=False)
        assert orders.status_code == 200 and orders.json()["results"] == [], orders.text[:500]
        refused = requests.post(f"{url}/api/v1/sales/orders", json={}, headers=auth, timeout=10,
                                allow_redirects=False)
        assert refused.status_code == 400 and refused.headers["Content-Type"] == "application/problem+json"
        # and the start found the static files collected at install time: it did not collect them again
        assert "static files unchanged since they were collected" in log.read_text()
    finally:
        status = stop(process)
    # and it stopped gracefully
    assert status == 0, log.read_text()[-3000:]

    # the installed copy refuses to serve without what a node needs, naming it
    serving_env = {**env, "DJANGO_SETTINGS_MODULE": "synthesq.settings.production",
                   "SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": database_url_for_processes(),
                   "STATIC_ROOT": str(prefix / "static"), "ALLOWED_HOSTS": "localhost", "PORT": str(port)}
    without_hosts = {k: v for k, v in serving_env.items() if k != "ALLOWED_HOSTS"}
    without_database = {k: v for k, v in serving_env.items() if k != "DATABASE_URL"}
    for refused_env, named in ((without_hosts, "ALLOWED_HOSTS"), (without_database, "DATABASE_URL")):
        result = subprocess.run([prefix / "bin" / "gunicorn", "-c", "python:synthesq.gunicorn_conf"], cwd=operator,
                                env=refused_env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 1, result.stderr[-2000:]
        assert f"Cannot serve: {named} is not set" in result.stderr
        assert "Booting worker" not in result.stderr
    # and a bare `gunicorn synthesq.wsgi` (which reads no configuration outside a checkout) refuses to boot,
    # saying how to start it, instead of serving with one worker and no start-up checks
    bare = subprocess.run([prefix / "bin" / "gunicorn", "--bind", f"127.0.0.1:{port}", "synthesq.wsgi"],
                          cwd=operator, env=serving_env, capture_output=True, text=True, timeout=120, check=False)
    assert bare.returncode != 0
    assert "gunicorn -c python:synthesq.gunicorn_conf" in bare.stderr
