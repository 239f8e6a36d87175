"""Web nodes for the multi-node proof: gunicorn processes of this checkout on one PostgreSQL database.

Used by ``bench/two_nodes.py`` (figures) and ``tests/production/test_two_nodes.py`` (CI). Each node is a real
``gunicorn`` with the production settings and ``synthesq.gunicorn_conf``, listening on 127.0.0.1 on a port
found free in ``NODE_PORTS`` (default 18400-18499), in its own process group so stopping it stops its workers
too. ``running_nodes`` always stops what it started, whatever happens in between.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORTS = "18400-18499"


class NodeFailed(RuntimeError):
    pass


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _port_range() -> range:
    low, _, high = os.environ.get("NODE_PORTS", DEFAULT_PORTS).partition("-")
    return range(int(low), int(high or low) + 1)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, *, exclude: Collection[int] = ()) -> list[int]:
    """``count`` ports of ``NODE_PORTS`` that nothing listens on now, in a random order (two runs at once
    rarely pick the same; a node that loses the race anyway is restarted on another port)."""
    candidates = [port for port in _port_range() if port not in exclude]
    secrets.SystemRandom().shuffle(candidates)
    found = [port for port in candidates if _port_is_free(port)][:count]
    if len(found) < count:
        raise NodeFailed(f"fewer than {count} free ports in {os.environ.get('NODE_PORTS', DEFAULT_PORTS)}")
    return found


def node_environment(*, database_url: str, secret_key: str, workers: int, extra: dict[str, str] | None = None
                     ) -> dict[str, str]:
    """The environment of a production node on plain HTTP on loopback (no HTTPS redirect)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "GUNICORN_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "synthesq.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": str(workers),
        # The checkout's own STATIC_ROOT: the first node collects there once, later starts find it up to date.
        "STATIC_ROOT": str(ROOT / "staticfiles"),
        "GUNICORN_MAX_REQUESTS": "0",
        "LOG_LEVEL": os.environ.get("NODE_LOG_LEVEL", "WARNING"),
        # A benchmark or proof drives a node with few tokens: their rate limit would measure itself.
        "API_THROTTLE_TOKEN_RATE": os.environ.get("API_THROTTLE_TOKEN_RATE", "off"),
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each node makes its own
    env.update(extra or {})
    return env


try:  # Linux: a node gets SIGTERM when the process that started it dies, so none outlives a killed test run
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)
    _PR_SET_PDEATHSIG = 1

    def _end_with_parent() -> None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)  # runs in the child between fork and exec: nothing else
except (OSError, AttributeError):  # pragma: no cover - not Linux
    _end_with_parent = None  # type: ignore[assignment]


def start_node(name: str, *, port: int, env: dict[str, str], log_dir: Path) -> Node:
    log_path = log_dir / f"{name}.log"
    node_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:synthesq.gunicorn_conf", "synthesq.wsgi"],
            cwd=ROOT, env=node_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop_node signals the master and its workers
            preexec_fn=_end_with_parent,
        )
    return Node(name=name, port=port, process=process, log_path=log_path, env=node_env)


def start_task_worker(name: str, *, env: dict[str, str], log_dir: Path) -> Node:
    """A ``manage.py db_worker`` beside a node (port 0: it serves nothing), on the same database and settings."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1", "--no-reload",
             "--no-startup-delay"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_end_with_parent,
        )
    return Node(name=name, port=0, process=process, log_path=log_path, env=env)


def wait_until_ready(node: Node, *, timeout: float = 60) -> None:
    """Until ``/readyz`` answers 200; NodeFailed if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise NodeFailed(f"{node.name} exited with {node.process.returncode}:\n{node.log_tail()}")
        try:
            with urllib.request.urlopen(f"{node.url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise NodeFailed(f"{node.name} not ready after {timeout:.0f}s:\n{node.log_tail()}")


def stop_node(node: Node, *, grace: float = 15) -> int | None:
    """TERM the node's process group (gunicorn stops gracefully), KILL it if it lingers. Returns the exit code."""
    if node.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.process.pid, signal.SIGTERM)
        try:
            node.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # a worker left behind by a killed master
        os.killpg(node.process.pid, signal.SIGKILL)
    return node.process.returncode


@contextlib.contextmanager
def running_nodes(count: int, *, database_url: str, workers: int = 2, extra_env: dict[str, str] | None = None,
                  log_dir: Path | None = None, ready_timeout: float = 300, task_workers: bool = False
                  ) -> Iterator[list[Node]]:
    """Start ``count`` nodes on one database (with a task worker beside each when ``task_workers``), wait until
    all are ready, yield the web nodes, always stop everything. (``ready_timeout`` leaves room for the first start
    of a checkout, which collects the static files: a minute or two on a busy machine; a node that exits fails
    at once.)"""
    secret_key = secrets.token_urlsafe(48)
    env = node_environment(database_url=database_url, secret_key=secret_key, workers=workers, extra=extra_env)
    with contextlib.ExitStack() as stack:
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="synthesq-nodes-")))
        nodes: list[Node] = []
        stack.callback(lambda: [stop_node(node) for node in nodes])
        used: set[int] = set()
        for index in range(count):
            for _attempt in range(3):
                port = free_ports(1, exclude=used)[0]
                used.add(port)
                node = start_node(f"node{index + 1}", port=port, env=env, log_dir=log_dir)
                nodes.append(node)
                try:
                    wait_until_ready(node, timeout=ready_timeout)
                    break
                except NodeFailed:
                    stop_node(node)
                    nodes.remove(node)
                    if "Address already in use" not in node.log_tail(200):
                        raise
            else:
                raise NodeFailed(f"node{index + 1} found no free port")
        web_nodes = list(nodes)
        if task_workers:
            nodes.extend(start_task_worker(f"worker{index + 1}", env=env, log_dir=log_dir) for index in range(count))
        yield web_nodes
