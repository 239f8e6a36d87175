"""The bare floor (``../shared/bench-floor/``, issue 25): Django and DRF with two middlewares, the token looked up by
one raw statement, one row read or updated by raw SQL. Run as it is, from its own directory, with its own database
(created anew, its ``setup_floor.py`` run), by its own gunicorn beside the product's: the reference every product
endpoint and the product's own floor are measured against, in interleaved windows.

    GET  /one/1     the read reference (``bare-read``)
    POST /write/1   the write reference (``bare-write``)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.nodes import ROOT, free_ports

# The shared checkout's floor (BARE_FLOOR_DIR overrides): never copied into the project.
DEFAULT_DIR = ROOT.parent / "shared" / "bench-floor"


@dataclass
class BareFloor:
    url: str
    token: str
    database: str
    process: subprocess.Popen[bytes]


def floor_dir() -> Path:
    return Path(os.environ.get("BARE_FLOOR_DIR") or DEFAULT_DIR)


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def vacuum_analyze(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "PYTEST"))}
    env.update({"FLOOR_DB": database, "PYTHONUNBUFFERED": "1"})
    return env


def _wait_until_serving(url: str, token: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the bare floor exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        request = urllib.request.Request(f"{url}/one/1", headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"the bare floor did not answer in {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running_bare_floor(*, server_url: str, database: str, workers: int, log_dir: Path) -> Iterator[BareFloor]:
    """Its database made anew and set up by its own script, then its gunicorn (``workers`` sync workers, the
    product's count) on a free port; always stopped at the end."""
    from bench.nodes import Node, stop_node

    directory = floor_dir()
    if not (directory / "floorapp.py").is_file():
        raise SystemExit(f"no bare floor at {directory} (BARE_FLOOR_DIR)")
    recreate_database(server_url, database)
    env = _environment(database)
    setup = subprocess.run([sys.executable, str(directory / "setup_floor.py"), str(directory)], cwd=directory,
                           env=env, capture_output=True, text=True, check=False)
    if setup.returncode != 0:
        raise SystemExit(f"the bare floor's set-up failed:\n{setup.stdout}\n{setup.stderr}")
    token = setup.stdout.strip().splitlines()[-1]
    port = free_ports(1)[0]
    log = log_dir / "bare-floor.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "floorapp:application"],
            cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    node = Node(name="bare-floor", port=port, process=process, log_path=log, env=env)
    try:
        _wait_until_serving(node.url, token, process, log, timeout=60)
        yield BareFloor(url=node.url, token=token, database=database, process=process)
    finally:
        stop_node(node)
