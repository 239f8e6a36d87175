"""Sending one webhook: where it may go, how it is signed, and what the receiver said.

Safety against server-side request forgery: an endpoint's URL must be https and its host must resolve only to
public addresses — never loopback, private, link-local (cloud metadata lives there), multicast, reserved or
unspecified ones. It is checked at registration and again at every delivery, after DNS; the connection then goes
to the very address that was checked (the name is kept for TLS and the Host header), so a DNS answer that
changes in between cannot redirect it. Redirects are not followed, the whole exchange has a timeout
(WEBHOOK_TIMEOUT_SECONDS, 10) and at most 64 KB of the answer is read. The DNS lookup has its own bound
(WEBHOOK_RESOLVE_TIMEOUT_SECONDS, 2): a slow resolver cannot hold a web worker that registers an endpoint.
``WEBHOOK_ALLOW_PRIVATE_URLS=1`` (development and tests only) lifts the address and https rules.

Every failure is told apart in the attempt's ``error``: ``timeout after N s``, ``connection error: …`` (refused,
reset, unreachable: with its real duration), ``refused: …`` (the URL may not receive webhooks) or the
exception's name.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from standardwebhooks import Webhook

MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 1000
# Cloud metadata services that are not in a link-local or private range.
METADATA_ADDRESSES = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}

# How an attempt's error begins, by kind (the metrics count attempts by these).
TIMEOUT = "timeout after"
CONNECTION_ERROR = "connection error:"
REFUSED = "refused:"

_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks (scheme, host or the addresses it resolves to)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted IP the connection goes to


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (a seam for tests)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


class ResolveTimeout(OSError):
    """The resolver did not answer within WEBHOOK_RESOLVE_TIMEOUT_SECONDS."""


def resolve_bounded(host: str, port: int) -> list[str]:
    """``resolve`` within WEBHOOK_RESOLVE_TIMEOUT_SECONDS: the C resolver has no timeout of its own that the
    caller sets, so the lookup runs in a daemon thread and is abandoned (left to finish on its own) when late."""
    limit = float(settings.WEBHOOK_RESOLVE_TIMEOUT_SECONDS)
    answer: list[list[str]] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            answer.append(resolve(host, port))
        except BaseException as exc:  # handed to the caller
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="webhook-resolve", daemon=True).start()
    if not done.wait(limit):
        raise ResolveTimeout(f"no DNS answer within {limit:g} s")
    if failure:
        raise failure[0]
    return answer[0]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


def check_url(url: str) -> Target:
    """Where ``url`` would be delivered to; ``UnsafeUrl`` when it may not receive webhooks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allow_private = _allow_private()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise UnsafeUrl("Webhook URLs must use https.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is invalid.") from exc
    try:
        addresses = resolve_bounded(parts.hostname, port)
    except ResolveTimeout as exc:
        raise UnsafeUrl(f"{parts.hostname} could not be resolved in time ({exc}).") from exc
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"{parts.hostname} does not resolve.") from exc
    if not addresses:
        raise UnsafeUrl(f"{parts.hostname} does not resolve.")
    if not allow_private:
        blocked = [address for address in addresses if not _is_public(address)]
        if blocked:
            raise UnsafeUrl(f"{parts.hostname} resolves to a non-public address ({blocked[0]}).")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=parts.hostname, port=port, path=path, address=addresses[0])


def signature_header(secrets: list[str], *, message_id: str, timestamp: datetime, body: str) -> str:
    """``v1,<base64 HMAC-SHA256>`` per secret, space separated (two while a rotated-out secret still signs)."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets)


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.address, target.port, target.host)
    pool = _pools.get(key)
    if pool is None:
        timeout = urllib3.Timeout(total=_timeout())
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=timeout, maxsize=8,
                                               server_hostname=target.host, assert_hostname=target.host,
                                               cert_reqs="CERT_REQUIRED")
        else:
            pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, maxsize=8)
        if len(_pools) > 256:
            _pools.clear()
        _pools[key] = pool
    return pool


def send(url: str, *, secrets: list[str], message_id: str, body: str) -> Outcome:
    """POST a signed webhook to ``url`` (checked again here, after DNS). Never raises for the receiver's sake:
    every failure is an ``Outcome`` with its error."""
    started = time.monotonic()
    try:
        target = check_url(url)
    except UnsafeUrl as exc:  # nothing was sent; the duration is the check's (the DNS lookup)
        return Outcome(status_code=None, duration_ms=_ms(started), excerpt="", error=f"{REFUSED} {exc}"[:255])
    now = datetime.now(UTC)
    headers = {
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        "Content-Type": "application/json",
        "User-Agent": "SynthesQ-Webhooks/1.0",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature_header(secrets, message_id=message_id, timestamp=now, body=body),
    }
    try:
        response = _pool(target).urlopen("POST", target.path, body=body.encode(), headers=headers, redirect=False,
                                         retries=False, preload_content=False, assert_same_host=False)
        content = _read_capped(response, deadline=started + _timeout())
        return Outcome(status_code=response.status, duration_ms=_ms(started),
                       excerpt=content.decode("utf-8", "replace")[:EXCERPT_CHARS], error="")
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(status_code=None, duration_ms=_ms(started), excerpt="", error=_describe(exc))


def _read_capped(response: urllib3.BaseHTTPResponse, *, deadline: float) -> bytes:
    """At most 64 KB of the answer, read before the deadline; a connection left with unread data is closed
    rather than reused."""
    content = b""
    try:
        while len(content) <= MAX_RESPONSE_BYTES and time.monotonic() < deadline:
            chunk = response.read(8192)
            if not chunk:
                response.release_conn()
                return content
            content += chunk
        response.close()
        return content[:MAX_RESPONSE_BYTES]
    except BaseException:
        response.close()
        raise


def _timeout() -> float:
    return float(settings.WEBHOOK_TIMEOUT_SECONDS)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: Exception) -> str:
    # urllib3's NewConnectionError (refused, unreachable, name errors) is a subclass of its ConnectTimeoutError:
    # it is told apart first, or a refused connection would read as a timeout.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = cause if isinstance(cause, OSError) else exc
        return f"{CONNECTION_ERROR} {_os_reason(reason)}"[:255]
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"{TIMEOUT} {_timeout():g} s"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], OSError) else exc
        return f"{CONNECTION_ERROR} {_os_reason(cause)}"[:255]
    return f"{type(exc).__name__}: {exc}"[:255]


def _os_reason(exc: BaseException) -> str:
    """``Connection refused`` rather than urllib3's sentence naming the pool."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
