"""Local stand-ins for 1,611 cameras: tiny RTSP responders, closed ports and black holes.

Each responder process runs one asyncio loop listening on its own share of the cameras' ports
(one port per camera, as each real camera is its own host) and answers RTSP OPTIONS and
DESCRIBE with an SDP, so a reachability sweep measures the prober, not the server. Cameras whose
path starts with /auth/ want Digest credentials (user `admin`, password `pw-<camera number>`,
checked for real). Black-hole ports accept connections and never answer; closed ports are bound
but never listen, so a connect is refused at once and no other program can take them meanwhile.
Only the standard library is used, so the processes start quickly under `spawn`.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from types import TracebackType

REALM = "camreg-bench"
NONCE = "5f1c7d0a9b3e4c21"
USER = "admin"
_TICKS = os.sysconf("SC_CLK_TCK")
_AUTH_PATH = re.compile(r"/auth/(\d+)/")
_DIGEST_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')
# Listening ports and closed ports of one process, sent back once it is ready.
_PortQueue = SimpleQueue[tuple[list[int], list[int]]]
_SDP = (
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=camreg bench\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=640028\r\na=control:trackID=1\r\n"
)


def password_of(number: int) -> str:
    """Return the stream password the responders expect for camera `number`."""
    return f"pw-{number}"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _digest_ok(method: str, header: str | None, number: int) -> bool:
    """Check a Digest Authorization header (RFC 2069 or qop=auth) for camera `number`."""
    if not header or not header.lower().startswith("digest "):
        return False
    params = {m[0].lower(): m[1] or m[2] for m in _DIGEST_PARAM.findall(header[7:])}
    if params.get("username") != USER or params.get("nonce") != NONCE:
        return False
    ha1 = _md5(f"{USER}:{REALM}:{password_of(number)}")
    ha2 = _md5(f"{method}:{params.get('uri', '')}")
    if params.get("qop") == "auth":
        expected = _md5(f"{ha1}:{NONCE}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
    else:
        expected = _md5(f"{ha1}:{NONCE}:{ha2}")
    return params.get("response") == expected


def _reply(cseq: str, status: str, headers: Sequence[str] = (), body: str = "") -> bytes:
    lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", "Server: camreg-bench-responder", *headers]
    if body:
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def answer(request: bytes) -> bytes:
    """Return the reply to one RTSP request (request line and headers, no body)."""
    lines = request.decode("latin-1").split("\r\n")
    method, url, _ = [*lines[0].split(" "), "", "", ""][:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    cseq = headers.get("cseq", "0")
    auth = _AUTH_PATH.search(url)
    if auth and not _digest_ok(method, headers.get("authorization"), int(auth.group(1))):
        challenge = f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}"'
        return _reply(cseq, "401 Unauthorized", [challenge])
    if method == "OPTIONS":
        return _reply(cseq, "200 OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"])
    if method == "DESCRIBE":
        headers_out = ["Content-Type: application/sdp", f"Content-Base: {url}/"]
        return _reply(cseq, "200 OK", headers_out, _SDP)
    return _reply(cseq, "405 Method Not Allowed")


async def _serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            writer.write(answer(request))
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # A black hole: keep the connection open and never send a byte, until the client leaves.
    try:
        while await reader.read(4096):
            pass
    except ConnectionError:
        pass
    finally:
        writer.close()


def _listening_sockets(count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sockets.append(sock)
    return sockets


async def _run(count: int, black_hole: bool, closed: int, ports: _PortQueue) -> None:
    handler = _hold if black_hole else _serve_client
    servers = [await asyncio.start_server(handler, sock=s) for s in _listening_sockets(count)]
    # Bound, never listening: connects are refused, and no other program takes the port.
    refusing = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(closed)]
    for sock in refusing:
        sock.bind(("127.0.0.1", 0))
    listening = [s.sockets[0].getsockname()[1] for s in servers]
    ports.put((listening, [sock.getsockname()[1] for sock in refusing]))
    await asyncio.Event().wait()  # serve until terminated


def _process_main(count: int, black_hole: bool, closed: int, ports: _PortQueue) -> None:
    asyncio.run(_run(count, black_hole, closed, ports))


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class CameraServers:
    """Responder processes, black holes and closed ports for a benchmark; always stopped."""

    healthy: int
    black_holes: int
    closed: int
    processes: int = 4
    healthy_ports: list[int] = field(default_factory=list)
    black_hole_ports: list[int] = field(default_factory=list)
    closed_ports: list[int] = field(default_factory=list)
    _children: list[BaseProcess] = field(default_factory=list)

    def __enter__(self) -> CameraServers:
        context = multiprocessing.get_context("spawn")
        shares = [len(part) for part in _split(range(self.healthy), self.processes)]
        # The closed ports live in the black hole's process, so this process's sockets are the
        # prober's own.
        plan = [(share, False, 0) for share in shares if share]
        plan.append((self.black_holes, True, self.closed))
        queues = []
        try:
            for count, black_hole, closed in plan:
                queue: _PortQueue = context.SimpleQueue()
                child = context.Process(
                    target=_process_main, args=(count, black_hole, closed, queue), daemon=True
                )
                child.start()
                self._children.append(child)
                queues.append((queue, black_hole))
            for queue, black_hole in queues:
                listening, refusing = queue.get()
                (self.black_hole_ports if black_hole else self.healthy_ports).extend(listening)
                self.closed_ports.extend(refusing)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for child in self._children:
            child.terminate()
        for child in self._children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()

    @property
    def responder_pids(self) -> list[int]:
        """Return the process ids of the healthy responders (not the black hole)."""
        return [c.pid for c in self._children[:-1] if c.pid is not None]

    def responder_cpu_s(self) -> float:
        """Return the CPU seconds the healthy responders used so far, together."""
        return sum(cpu_seconds(pid) for pid in self.responder_pids)


def _split(items: range, parts: int) -> list[range]:
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        out.append(items[start:end])
        start = end
    return out
