"""Reachability probes: TCP connect and an RTSP OPTIONS/DESCRIBE handshake, many at once.

Pure asyncio sockets (no threads per probe, no PyAV), so a worker can sweep thousands of cameras
in seconds; every probe is bounded by its own timeout, so a dead camera delays no other.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.rtsp_auth import Authenticator, UnsupportedChallenge, choose, parse_challenges
from ingest.health.vocabulary import CheckTier, Reason

log = logging.getLogger(__name__)

# Threads resolving host names during a sweep (each lookup blocks one).
_RESOLVER_THREADS = 64

USER_AGENT = "camreg-health/1"
MAX_BODY_BYTES = 1 << 20  # an SDP is a few hundred bytes; more is not a camera
# Ports of schemes that are only TCP-connected (MJPEG over HTTP, RTSP over TLS).
_T = TypeVar("_T")
_TCP_ONLY_PORTS = {"http": 80, "https": 443, "rtsps": 322}
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


class _Failure(Exception):
    """Ends a probe with a reason and a one-line message (never with credentials)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class _Progress:
    """What a probe learned so far: reported even when it ends in a failure or a timeout."""

    started: float
    protocol: str = "rtsp"
    phase: str = "connect"
    connect_ms: float | None = None
    rtsp_status: int | None = None
    auth: str | None = None
    server: str | None = None
    answered: bool = False

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"protocol": self.protocol, "phase": self.phase}
        if self.connect_ms is not None:
            found["connect_ms"] = round(self.connect_ms, 2)
        if self.rtsp_status is not None:
            found["rtsp_status"] = self.rtsp_status
        if self.auth is not None:
            found["auth"] = self.auth
        if self.server is not None:
            found["server"] = self.server[:120]
        return found


@dataclass(frozen=True)
class _Reply:
    status: int
    text: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # names in lower case

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


def _elapsed_ms(progress: _Progress) -> float:
    return (time.perf_counter() - progress.started) * 1000.0


def _plain_url(parts: SplitResult) -> str:
    """Return the URL without user information (never sent, never shown)."""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _endpoint(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, request URL) of a camera URL, or raise _Failure."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise _Failure(
            Reason.UNREACHABLE, "the URL's port is not valid: fix the camera's URL"
        ) from None
    if not parts.hostname:
        raise _Failure(Reason.UNREACHABLE, "the URL has no host: fix the camera's URL")
    default = 554 if scheme == "rtsp" else _TCP_ONLY_PORTS.get(scheme)
    if port is None and default is None:
        raise _Failure(
            Reason.UNREACHABLE, f"no port for scheme {scheme!r}: add the port to the camera's URL"
        )
    return scheme, parts.hostname, port or default or 0, _plain_url(parts)


def never_resolves(host: str) -> bool:
    """Return True for names under `.invalid`, which never resolve (RFC 6761 §6.4).

    They are answered at once, without asking a resolver: sample and test cameras use them, and
    a thousand lookups at once only make a resolver drop queries (seconds each).
    """
    return host.lower().rstrip(".").endswith(".invalid") or host.lower() == "invalid"


def _connect_failure(exc: OSError) -> _Failure:
    if isinstance(exc, socket.gaierror):
        return _Failure(Reason.UNREACHABLE, "host name not found (DNS)")
    if isinstance(exc, ConnectionRefusedError):
        return _Failure(Reason.UNREACHABLE, "connection refused: nothing listens on that port")
    if exc.errno in _NO_ROUTE:
        return _Failure(Reason.UNREACHABLE, "no route to host")
    return _Failure(Reason.UNREACHABLE, f"cannot connect: {exc.strerror or type(exc).__name__}")


class _Closed(Exception):
    """The server closed the connection before the first byte of a reply."""


class _Connection:
    """One RTSP connection; reopened when the server closes it between requests."""

    def __init__(self, host: str, port: int, progress: _Progress) -> None:
        self._host, self._port, self._progress = host, port, progress
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._cseq = 0
        self._replies = 0  # on this connection

    async def open(self) -> None:
        self._replies = 0
        started = time.perf_counter()
        if never_resolves(self._host):
            raise _Failure(Reason.UNREACHABLE, "host name not found (DNS)")
        try:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        except OSError as exc:
            raise _connect_failure(exc) from None
        if self._progress.connect_ms is None:
            self._progress.connect_ms = (time.perf_counter() - started) * 1000.0

    def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()

    async def request(self, method: str, url: str, headers: dict[str, str]) -> _Reply:
        try:
            reply = await self._exchange(method, url, headers)
        except (_Closed, ConnectionError):
            if not self._replies:
                raise _Failure(
                    Reason.SERVER_ERROR, f"the camera closed the connection ({method})"
                ) from None
            # Many cameras close a kept-alive connection (after a 401, say) without saying
            # so; the request is sent again on a new connection once.
            self.close()
            try:
                reply = await self._exchange(method, url, headers)
            except (_Closed, ConnectionError):
                raise _Failure(
                    Reason.SERVER_ERROR, f"the camera closed the connection ({method})"
                ) from None
        self._replies += 1
        self._progress.answered = True
        if (reply.header("connection") or "").lower() == "close":
            self.close()
        return reply

    async def _exchange(self, method: str, url: str, headers: dict[str, str]) -> _Reply:
        if self._writer is None:
            await self.open()
        assert self._reader is not None
        assert self._writer is not None
        self._cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self._cseq}", f"User-Agent: {USER_AGENT}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        return await _read_reply(self._reader)


async def _read_reply(reader: asyncio.StreamReader) -> _Reply:
    """Read one RTSP reply (status line, headers, body) or raise _Failure."""
    try:
        start = await reader.readexactly(5)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Closed from None
        raise _Failure(Reason.SERVER_ERROR, "the camera closed the connection mid-reply") from None
    try:
        if start != b"RTSP/":
            kind = "an HTTP server" if start.startswith(b"HTTP/") else "something"
            raise _Failure(Reason.SERVER_ERROR, f"not an RTSP server: {kind} answered")
        head = start + await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        raise _Failure(Reason.SERVER_ERROR, "the camera closed the connection mid-reply") from None
    except asyncio.LimitOverrunError:
        raise _Failure(Reason.SERVER_ERROR, "malformed RTSP reply: headers too long") from None
    lines = head.decode("latin-1").split("\r\n")
    status_parts = lines[0].split(" ", 2)
    if len(status_parts) < 2 or not status_parts[1].isdigit():
        raise _Failure(Reason.SERVER_ERROR, "malformed RTSP status line")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip().lower(), value.strip()))
    reply = _Reply(int(status_parts[1]), status_parts[2] if len(status_parts) > 2 else "", headers)
    length = reply.header("content-length") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise _Failure(Reason.SERVER_ERROR, "malformed RTSP reply: bad Content-Length")
    try:
        await reader.readexactly(int(length))
    except asyncio.IncompleteReadError:
        raise _Failure(Reason.SERVER_ERROR, "the camera closed the connection mid-reply") from None
    return reply


def _status_failure(reply: _Reply, method: str) -> _Failure:
    status = f"{reply.status} {reply.text}".strip()
    if reply.status == 404:
        return _Failure(Reason.SERVER_ERROR, f"{status}: check the stream path")
    if 300 <= reply.status < 400:
        return _Failure(Reason.SERVER_ERROR, f"{status}: the camera redirects; update its URL")
    if reply.status >= 500:
        return _Failure(Reason.SERVER_ERROR, f"{status}: the camera's server failed ({method})")
    return _Failure(Reason.SERVER_ERROR, f"{status} to {method}")


def _refused(scheme: str) -> _Failure:
    return _Failure(
        Reason.AUTH_FAILED,
        f"credentials refused ({scheme}): check the camera's user name and password",
    )


def _authenticator(
    target: ProbeTarget, reply: _Reply, previous: Authenticator | None
) -> Authenticator:
    """Return an Authenticator answering a 401, or raise _Failure(auth_failed)."""
    if target.username is None:
        if target.credentials_problem:
            raise _Failure(
                Reason.AUTH_FAILED,
                f"the camera asks for credentials and the stored ones are not usable: "
                f"{target.credentials_problem}",
            )
        raise _Failure(Reason.AUTH_FAILED, "the camera asks for credentials and none are stored")
    challenges = parse_challenges(reply.all("www-authenticate"))
    # A stale nonce is the one 401 after valid credentials that is not a refusal.
    stale = any(c.params.get("stale", "").lower() == "true" for c in challenges)
    if previous is not None and not stale:
        raise _refused(previous.scheme)
    try:
        chosen = choose(challenges)
    except UnsupportedChallenge as exc:
        raise _Failure(Reason.AUTH_FAILED, str(exc)) from None
    return Authenticator(chosen, target.username, target.password or "")


async def _rtsp_handshake(
    target: ProbeTarget, host: str, port: int, url: str, p: _Progress
) -> None:
    connection = _Connection(host, port, p)
    try:
        await connection.open()
        auth: Authenticator | None = None
        for method, extra in (("OPTIONS", {}), ("DESCRIBE", {"Accept": "application/sdp"})):
            p.phase = method
            tried: Authenticator | None = None
            while True:
                headers = dict(extra)
                if auth is not None:
                    headers["Authorization"] = auth.header(method, url)
                reply = await connection.request(method, url, headers)
                p.rtsp_status = reply.status
                p.server = reply.header("server") or p.server
                if reply.status != 401:
                    break
                # Answer a challenge once per request: a second 401 means wrong credentials.
                if tried is not None:
                    raise _refused(tried.scheme)
                auth = tried = _authenticator(target, reply, auth)
                p.auth = auth.scheme
            if reply.status != 200:
                raise _status_failure(reply, method)
    finally:
        connection.close()


async def _tcp_connect(host: str, port: int, p: _Progress) -> None:
    p.protocol = "tcp"
    connection = _Connection(host, port, p)
    await connection.open()
    connection.close()


async def probe_reachability(target: ProbeTarget, *, timeout_s: float) -> CheckResult:
    """Probe one camera: TCP connect and, for rtsp://, OPTIONS and DESCRIBE with its credentials."""
    checked_at = datetime.now(UTC)
    progress = _Progress(started=time.perf_counter())
    reasons: tuple[Reason, ...] = ()
    message: str | None = None
    try:
        async with asyncio.timeout(timeout_s):
            scheme, host, port, url = _endpoint(target.url)
            if scheme == "rtsp":
                await _rtsp_handshake(target, host, port, url, progress)
            else:
                await _tcp_connect(host, port, progress)
    except _Failure as failure:
        reasons, message = (failure.reason,), failure.message
    except TimeoutError:
        reasons = (Reason.TIMEOUT,)
        message = f"no answer within {timeout_s:g} s ({progress.phase})"
    except OSError as exc:  # raised by the network outside a request (e.g. while connecting)
        refused = _connect_failure(exc)
        reasons, message = (refused.reason,), refused.message
    answered = not reasons or progress.answered or progress.protocol == "tcp"
    latency = _elapsed_ms(progress) if answered and reasons != (Reason.TIMEOUT,) else None
    return CheckResult(
        camera_id=target.camera_id,
        camera_code=target.code,
        tier=CheckTier.REACHABILITY,
        checked_at=checked_at,
        reasons=reasons,
        latency_ms=None if latency is None else round(latency, 2),
        details=progress.details(),
        message=message,
    )


async def sweep_reachability(
    targets: Sequence[ProbeTarget], *, timeout_s: float, concurrency: int
) -> list[CheckResult]:
    """Probe many cameras at once (at most `concurrency` in flight); results in target order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    semaphore = asyncio.Semaphore(concurrency)

    async def one(target: ProbeTarget) -> CheckResult:
        async with semaphore:
            try:
                return await probe_reachability(target, timeout_s=timeout_s)
            except Exception as exc:  # a bug on one camera must not lose the others' results
                log.exception("reachability probe of %s failed", target.code)
                return CheckResult(
                    camera_id=target.camera_id,
                    camera_code=target.code,
                    tier=CheckTier.REACHABILITY,
                    checked_at=datetime.now(UTC),
                    reasons=(Reason.SERVER_ERROR,),
                    message=f"probe failed: {type(exc).__name__}",
                )

    return list(await asyncio.gather(*(one(target) for target in targets)))


def run_reachability_sweep(
    targets: Sequence[ProbeTarget], *, timeout_s: float, concurrency: int
) -> list[CheckResult]:
    """Probe many cameras from synchronous code (starts its own event loop)."""

    async def sweep() -> list[CheckResult]:
        # Host names resolve in the loop's default executor, which asyncio sizes for CPU work
        # (cores + 4 threads): cameras known by (dynamic DNS) name would wait on 6 lookups at a
        # time and a 1,611-camera sweep would take half a minute on DNS alone.
        threads = max(1, min(concurrency, _RESOLVER_THREADS))
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="camreg-resolve")
        )
        return await sweep_reachability(targets, timeout_s=timeout_s, concurrency=concurrency)

    return run_blocking(sweep)


def probe_blocking(target: ProbeTarget, *, timeout_s: float) -> CheckResult:
    """Probe one camera from synchronous code."""
    return run_blocking(lambda: probe_reachability(target, timeout_s=timeout_s))


def run_blocking(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from synchronous code, on an event loop of its own.

    A thread that already runs a loop (an async framework, a browser driver) cannot start
    another one, so there the coroutine runs on a short-lived helper thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="camreg-probe") as helper:
        return helper.submit(lambda: asyncio.run(make())).result()
