"""Tiny TCP servers on 127.0.0.1 for probe tests: a scripted RTSP responder and a black hole."""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

REALM = "camreg-test"
NONCE = "5f1d0c9e8b7a"


@dataclass
class RtspRequest:
    """One request as the responder saw it."""

    method: str
    uri: str
    headers: dict[str, str]  # names in lower case

    @property
    def cseq(self) -> str:
        """Return the request's CSeq (echoed in the reply)."""
        return self.headers.get("cseq", "0")


Script = Callable[[RtspRequest], bytes]


def reply(request: RtspRequest, status: str, *headers: str, body: bytes = b"") -> bytes:
    """Return an RTSP reply to a request."""
    lines = [f"RTSP/1.0 {status}", f"CSeq: {request.cseq}", "Server: scripted-responder", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


SDP = (
    b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nt=0 0\r\n"
    b"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
)


def healthy(request: RtspRequest) -> bytes:
    """Answer OPTIONS and DESCRIBE like a camera without a password."""
    if request.method == "DESCRIBE":
        return reply(request, "200 OK", "Content-Type: application/sdp", body=SDP)
    return reply(request, "200 OK", "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")


def fixed_status(status: str) -> Script:
    """Answer every request with the same status, e.g. "500 Internal Server Error"."""
    return lambda request: reply(request, status)


def _digest_params(header: str) -> dict[str, str]:
    found = re.findall(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))', header)
    return {name.lower(): quoted or plain for name, quoted, plain in found}


@dataclass
class DigestChallenger:
    """Requires RFC 2617 Digest (MD5, qop=auth) and checks each answer on its own arithmetic."""

    username: str
    password: str
    qop: bool = True
    accepted: list[RtspRequest] = field(default_factory=list)
    refused: list[RtspRequest] = field(default_factory=list)

    def _expected(self, request: RtspRequest, params: dict[str, str]) -> str:
        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - what Digest specifies

        ha1 = md5(f"{self.username}:{REALM}:{self.password}")
        ha2 = md5(f"{request.method}:{params.get('uri', '')}")
        if self.qop:
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            return md5(f"{ha1}:{NONCE}:{nc}:{cnonce}:auth:{ha2}")
        return md5(f"{ha1}:{NONCE}:{ha2}")

    def __call__(self, request: RtspRequest) -> bytes:
        header = request.headers.get("authorization", "")
        if header.startswith("Digest "):
            params = _digest_params(header[len("Digest ") :])
            ok = (
                params.get("username") == self.username
                and params.get("realm") == REALM
                and params.get("nonce") == NONCE
                and params.get("uri") == request.uri
                and (not self.qop or params.get("qop") == "auth")
                and params.get("response") == self._expected(request, params)
            )
            if ok:
                self.accepted.append(request)
                return healthy(request)
        self.refused.append(request)
        qop = ', qop="auth"' if self.qop else ""
        return reply(
            request,
            "401 Unauthorized",
            f'WWW-Authenticate: Basic realm="{REALM}"',
            f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}"{qop}, algorithm=MD5',
        )


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, uri, _ = [*lines[0].split(" "), "", "", ""][:3]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            request = RtspRequest(method, uri, headers)
            self.server.requests.append(request)
            self.request.sendall(self.server.script(request))
            if self.server.close_after_reply:
                return  # close without a "Connection: close" header, as some cameras do


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, script: Script, close_after_reply: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.close_after_reply = close_after_reply
        self.requests: list[RtspRequest] = []


class ScriptedRtspServer:
    """An RTSP responder whose replies a function writes; records the requests it saw."""

    def __init__(self, script: Script, *, close_after_reply: bool = False) -> None:
        self._server = _Server(script, close_after_reply)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[RtspRequest]:
        """Return the requests received so far."""
        return self._server.requests

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        port: int = self._server.server_address[1]
        return port

    def url(self, path: str = "/stream") -> str:
        """Return an rtsp:// URL on this server."""
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> ScriptedRtspServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class BlackHoleServer:
    """Accepts TCP connections and never sends a byte (a hung camera)."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        # The kernel completes handshakes for the backlog even before accept(): a big backlog
        # lets many probes connect at once, as they would to a hung camera.
        self._listener.listen(4096)
        self._listener.settimeout(0.1)
        self._held: list[socket.socket] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        port: int = self._listener.getsockname()[1]
        return port

    def url(self, path: str = "/stream") -> str:
        """Return an rtsp:// URL on this server."""
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._done.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._held.append(connection)  # read nothing, answer nothing

    def __enter__(self) -> BlackHoleServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join(5)
        for connection in self._held:
            connection.close()
        self._listener.close()


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
            refuse = self.server.connections <= self.server.refuse_first
        if refuse:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                head += chunk
            cseq = re.search(rb"(?i)cseq:\s*(\d+)", head)
            number = cseq.group(1).decode() if cseq else "0"
            self.request.sendall(
                f"RTSP/1.0 503 Service Unavailable\r\nCSeq: {number}\r\n\r\n".encode()
            )
            return
        with socket.create_connection(("127.0.0.1", self.server.upstream_port)) as upstream:
            pump = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            pump.start()
            _copy(self.request, upstream)
            pump.join(5)


def _copy(source: socket.socket, target: socket.socket) -> None:
    # Either side closing or resetting ends the relay in both directions.
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    for side in (source, target):
        with contextlib.suppress(OSError):
            side.shutdown(socket.SHUT_RDWR)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port: int, refuse_first: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.refuse_first = refuse_first
        self.connections = 0
        self.lock = threading.Lock()


class RefusingProxy:
    """Forwards TCP to an upstream RTSP server, answering its first connections with 503."""

    def __init__(self, upstream_port: int, *, refuse_first: int = 1) -> None:
        self._server = _ProxyServer(upstream_port, refuse_first)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def connections(self) -> int:
        """Return how many connections it has accepted."""
        return self._server.connections

    def url(self, path: str) -> str:
        """Return an rtsp:// URL through the proxy."""
        return f"rtsp://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> RefusingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
