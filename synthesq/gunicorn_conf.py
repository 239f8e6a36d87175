"""gunicorn's configuration for a SynthesQ Sales web node, from the environment.

The checkout's ``gunicorn.conf.py`` loads this module (gunicorn reads that file from the working directory by
itself); an installed copy names it: ``gunicorn -c python:synthesq.gunicorn_conf synthesq.wsgi``.

    DJANGO_SETTINGS_MODULE   default synthesq.settings.production (gunicorn is how production serves)
    PORT / GUNICORN_BIND     where to listen (default 0.0.0.0:$PORT, PORT 8000)
    WEB_CONCURRENCY          worker processes (default CPUs + 1)
    GUNICORN_THREADS         threads per worker (default 2: gthread workers, which keep connections alive; 1:
                             sync workers, a new connection per request)
    GUNICORN_TIMEOUT         seconds a request may take before its worker is killed and replaced (30)
    GUNICORN_GRACEFUL_TIMEOUT  seconds workers get to finish their requests on a restart or stop (30)
    GUNICORN_KEEPALIVE       seconds an idle keep-alive connection stays open (5; keep it above nothing the
                             balancer needs and below the balancer's idle timeout)
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (gunicornc); off when unset
    GUNICORN_MAX_WORKER_MEMORY_MB  a worker whose resident memory exceeds this is replaced gracefully after the
                             request that found it (checked every 100 requests; default 300: a worker starts
                             at about 50 MB; 0 turns it off)
    GUNICORN_MAX_REQUESTS    a worker is also replaced gracefully after this many requests (default 0: never;
                             with jitter GUNICORN_MAX_REQUESTS_JITTER, default a tenth of it)
    FORWARDED_ALLOW_IPS      proxies trusted for X-Forwarded-* (gunicorn's own variable; default loopback)
    COLLECTSTATIC_AT_START   0: never collect at start-up (the build or install step did; refuse to serve if it
                             did not); default: collect only when the static files changed since the last collect
    PROMETHEUS_MULTIPROC_DIR where workers share metrics (default: a fresh temporary directory per node)

Start-up: before any worker starts, the master runs ``prepare_to_serve`` (``python -m synthesq``) in a child
process, which refuses to serve without what a node needs (``ALLOWED_HOSTS``, ``DATABASE_URL``, every migration
applied, the static files collected; gunicorn then exits with status 1, the message naming what is missing) and
collects the static files only when they changed. The master never imports the app, so ``kill -HUP`` (graceful
reload) brings new code to the new workers, and ``TERM`` stops gracefully (workers finish their requests within
the graceful timeout).

Errors gunicorn answers itself (a request line or a header over the limits below, malformed HTTP) are problem
documents (``application/problem+json``, the API's format), never gunicorn's HTML page.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from gunicorn.glogging import Logger

from synthesq.collector import settle_loaded_app


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.production")
# synthesq.wsgi refuses to be served by a gunicorn that did not read this module (no migration check, one worker,
# gunicorn's HTML error pages): this tells it that gunicorn did. Workers inherit it from the master.
os.environ["SYNTHESQ_GUNICORN_CONF"] = __name__

# --- where and how many --------------------------------------------------------------------------------
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"]
# Measured on the 2-core machine (issue 25, README "Benchmarks"): 3 gthread workers of 2 threads served the
# product's floor 2-4x and an order 2-3x as fast as 2, 3 or 5 sync workers (keep-alive connections, and a
# thread's database wait overlapping another's Python), and writes no slower.
workers = _env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
threads = _env_int("GUNICORN_THREADS", 2)
wsgi_app = "synthesq.wsgi:application"

# --- time limits and graceful restarts -----------------------------------------------------------------
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced when they grow, not every thousand requests: a replacement imports Django and the apps
# again (about a second of CPU on a 2-core machine), which under load showed as a one-second p99 and a dropped
# connection every few seconds (issue 25; figures in README "Benchmarks"). The memory guard keeps what the request
# count was for (a slow leak) without that tail.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)
MAX_WORKER_MEMORY_MB = _env_int("GUNICORN_MAX_WORKER_MEMORY_MB", 300)
MEMORY_CHECK_EVERY = 100  # requests: reading /proc costs a few microseconds, a request about a millisecond
if os.path.isdir("/dev/shm"):  # the workers' heartbeat files in memory, not on a slow or full disk
    worker_tmp_dir = "/dev/shm"

# gunicorn 25+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), which several nodes
# on one machine would fight over: off unless GUNICORN_CONTROL_SOCKET names a path for this node.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# --- request limits -------------------------------------------------------------------------------------
# Above gunicorn's defaults (4094, 8190), so that what the product limits itself (an Idempotency-Key of at most 255
# characters, a token that must match) is refused by the product; beyond these, gunicorn refuses with 414 or 431
# and ``write_problem`` below makes that refusal a problem document too.
limit_request_line = 8190  # bytes in the request line (method, URL with query string, protocol): gunicorn's maximum
limit_request_fields = 100  # headers per request
limit_request_field_size = 16384  # bytes per header

# --- logs: to stderr, as every log line of every process (README "Health, metrics, logs, errors") -----
# gunicorn's own lines, and one JSON access line per request (JsonAccessLogger moves it from stdout).
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = "-"


class JsonAccessLogger(Logger):
    """The access log as JSON lines (the app's logs are JSON too), with the request id the app answered, on
    stderr with every other log line (gunicorn writes ``accesslog = "-"`` to stdout), for the requests the app did
    not log itself: those gunicorn answers on its own (malformed, oversized); the app's ``request_finished`` line
    is the access line of every other request."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.access_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog or environ.get("synthesq.access_logged"):
            return  # the app wrote this request's line (synthesq.observability.access_log): one line a request
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "timestamp": datetime.now(UTC).isoformat(),
            "logger": "gunicorn.access",
            "event": "access",
            "request_id": atoms.get("{x-request-id}o"),
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 2),
            "user_agent": atoms["a"],
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:  # never let a log line break a response
            self.exception("access log failed")


logger_class = JsonAccessLogger


# --- errors gunicorn answers itself, as problem documents ------------------------------------------------------
_GUNICORN_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("malformed_request", "The request is not valid HTTP/1.1."),
    403: ("permission_denied", "The request was refused."),
    414: ("uri_too_long", f"The request line (method, path and query string) is longer than {limit_request_line} "
                          "bytes. Send fewer or shorter query parameters."),
    417: ("expectation_failed", "The Expect header is not supported."),
    431: ("header_too_large", f"A request header is longer than {limit_request_field_size} bytes, or the request "
                              f"has more than {limit_request_fields} headers."),
    500: ("server_error", "The server could not handle the request."),
    501: ("not_implemented", "The request's transfer coding is not supported."),
}


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` in this project's format: an RFC 9457 problem document (the same ``type``,
    ``code`` and fields as the API's), instead of an HTML page. gunicorn has not parsed the request (or not all of
    it), so there is no request id; gunicorn's own message (which may quote the request) goes to its log only."""
    from gunicorn import util

    code, detail = _GUNICORN_PROBLEMS.get(status_int, ("malformed_request", "The request was refused."))
    try:
        title = HTTPStatus(status_int).phrase
    except ValueError:
        title = reason
    body = json.dumps({"type": f"urn:synthesq:problem:{code}", "title": title, "status": status_int,
                       "detail": detail, "code": code}).encode()
    head = (f"HTTP/1.1 {status_int} {title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


def resident_memory_mb() -> float:
    """This process's resident memory (Linux /proc; elsewhere its peak, from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """The memory guard: every ``MEMORY_CHECK_EVERY`` requests, a worker over ``MAX_WORKER_MEMORY_MB`` stops
    taking requests (as gunicorn's own ``max_requests`` does) and the master starts a fresh one."""
    served = getattr(worker, "synthesq_served", 0) + 1
    worker.synthesq_served = served
    if MAX_WORKER_MEMORY_MB and served % MEMORY_CHECK_EVERY == 0:
        used = resident_memory_mb()
        if used > MAX_WORKER_MEMORY_MB:
            worker.log.info("Worker %s uses %.0f MB (over %s): replacing it", worker.pid, used, MAX_WORKER_MEMORY_MB)
            worker.alive = False


def post_fork(server: Any, worker: Any) -> None:
    from gunicorn import util

    util.write_error = write_problem  # workers call it through the module (gunicorn.workers.base)


def post_worker_init(worker: Any) -> None:
    settle_loaded_app()  # the app's objects out of the collector's reach, its young generation's threshold raised


# --- Prometheus: one metrics directory per node, shared by its workers ----------------------------------
# prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it is imported, in the workers: set it here, in the
# master, before they start.
# (gunicorn may read this module more than once: the environment, not a module global, remembers the choice.)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="synthesq-metrics-")
    os.environ["SYNTHESQ_TEMPORARY_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]  # removed on exit


def on_starting(server: Any) -> None:
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(metrics_dir, exist_ok=True)
    for name in os.listdir(metrics_dir):  # values of a previous run of this node
        if name.endswith(".db"):
            os.remove(os.path.join(metrics_dir, name))
    command = [sys.executable, "-m", "synthesq", "prepare_to_serve"]
    if os.environ.get("COLLECTSTATIC_AT_START", "1").strip().lower() in {"0", "false", "no", "off"}:
        command.append("--no-collectstatic")  # still refuses to serve when nothing was collected
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}  # its metrics are not the node's
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        server.log.error("Not serving: prepare_to_serve failed (see above).")
        on_exit(server)  # gunicorn does not call it when start-up fails
        raise SystemExit(1)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    temporary = os.environ.get("SYNTHESQ_TEMPORARY_METRICS_DIR")
    if temporary:
        shutil.rmtree(temporary, ignore_errors=True)
