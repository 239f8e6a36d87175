"""``make run`` from the newcomer's seat (issue 20, item 13): the README's first command, in its own process
group as a terminal runs it, on a fresh SQLite database and a free port. The URLs and the token are the last
lines printed (nothing follows while nobody uses it), the printed token works, and one Ctrl-C (SIGINT to the
whole group, as a terminal sends it) stops the server and the worker cleanly: status 0 or 130, no
"Segmentation fault", no traceback, no process left behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bench.nodes import free_ports

ROOT = Path(__file__).resolve().parents[2]
TOKEN_LINE = re.compile(r"^sqs_[A-Za-z0-9_\-]{20,}$")


class Output:
    """The lines a process writes, as they come, read by a thread."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], *, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, line in enumerate(list(self.lines)):
                if pattern.match(line):
                    return index
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern.pattern} in {timeout}s:\n" + "\n".join(self.lines[-40:]))

    def text(self, start: int = 0) -> str:
        self._thread.join(timeout=10)
        return "\n".join(self.lines[start:])


def _processes_using(marker: str) -> list[int]:
    """Processes whose environment names ``marker`` (this run's database): what the run started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_make_run_prints_the_urls_and_token_last_and_one_ctrl_c_stops_everything(tmp_path: Path) -> None:
    # given a fresh checkout's first start: a new SQLite database and a free port
    database = tmp_path / "first-start.sqlite3"
    port = free_ports(1)[0]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST")) and k not in {"DEBUG", "LOG_FORMAT", "LOG_LEVEL"}}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    # when the newcomer types `make run` (the virtualenv is the one running these tests: not re-made)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "venv", "run", f"VENV={sys.prefix}", f"PORT={port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, whoever runs us
    )
    output = Output(make)
    try:
        token_at = output.wait_for(TOKEN_LINE, timeout=120)
        # then, once it has settled, the token is still the last line, right after the URLs
        time.sleep(3)
        lines = list(output.lines)
        assert lines[-1] == lines[token_at], "\n".join(lines[token_at:])
        block = "\n".join(lines[token_at - 8:token_at])
        for url in ("/api/v1/", "/api/v1/docs/", "/admin/"):
            assert f"http://127.0.0.1:{port}{url}" in block, block
        # and the server answers the printed token
        token = lines[token_at]
        customers = requests.get(f"http://127.0.0.1:{port}/api/v1/sales/customers",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert customers.status_code == 200 and customers.json()["results"]
        # when the newcomer presses Ctrl-C
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=45)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
    # then make ends as an interrupted make does, without a crash or a traceback
    after = output.text(token_at)
    assert make.returncode in (0, 130, -signal.SIGINT), after
    for alarming in ("Segmentation fault", "Traceback", "Terminated", "Killed", "Error"):
        assert alarming not in after, after
    # and nothing it started is left: neither the server nor the worker
    assert _processes_using(str(database)) == []
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        raise AssertionError("the server still answers")
    except requests.ConnectionError:
        pass


def test_when_the_port_is_taken_run_dev_says_so_stops_the_worker_and_fails(tmp_path: Path) -> None:
    # given a migrated database and a port something else already listens on
    database = tmp_path / "taken.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST")) and k not in {"LOG_FORMAT", "LOG_LEVEL"}}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{database}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_ports(1)[0]
    with socket.create_server(("127.0.0.1", port)):
        # when the development server is started on it
        result = subprocess.run([sys.executable, "manage.py", "run_dev", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=90, check=False)
    # then it fails with runserver's status, saying which process stopped, and leaves nothing running
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "That port is already in use" in output and "runserver exited with status 1; stopping worker" in output
    assert not TOKEN_LINE.search(result.stdout.splitlines()[-1] if result.stdout.strip() else "")
    assert _processes_using(str(database)) == []
