"""A live RTSP stream read with PyAV over TCP: packets to record, decoded frames to analyse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import av

from camera_registry.crypto import StreamCredentials
from ingest.frames import Frame, SourceInfo
from ingest.source.luma import luma_plane

Clock = Callable[[], datetime]

# A mapping from stream time to wall time that lags arrival by more than this is re-anchored
# (the sender restarted its timestamps, or the stream stalled and caught up).
MAX_LAG_S = 5.0


def utc_now() -> datetime:
    """Return the current aware UTC time."""
    return datetime.now(UTC)


class StreamError(Exception):
    """A stream could not be opened or stopped delivering; `reason` is safe to store and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _host(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host if parts.port is None else f"{host}:{parts.port}"


def redact_url(url: str) -> str:
    """Return the URL without user name or password, for logs and messages."""
    parts, host = urlsplit(url), _host(url)
    if host is None:
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def url_with_credentials(url: str, credentials: StreamCredentials | None) -> str:
    """Return the URL with the credentials in its user part (percent-encoded)."""
    host = _host(url)
    if credentials is None or host is None:
        return url
    parts = urlsplit(url)
    userinfo = f"{quote(credentials.username, safe='')}:{quote(credentials.password, safe='')}"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, ""))


def failure_reason(exc: BaseException) -> str:
    """Return a short reason for a PyAV failure, never quoting the URL (it may hold a password)."""
    table: list[tuple[type[BaseException], str]] = [
        (av.error.HTTPUnauthorizedError, "auth failed"),
        (av.error.HTTPForbiddenError, "auth failed (forbidden)"),
        (av.error.HTTPNotFoundError, "stream not found on the camera"),
        (av.error.ConnectionRefusedError, "connection refused"),
        (av.error.ConnectionResetError, "connection reset"),
        (av.error.InvalidDataError, "invalid data (not an RTSP video stream)"),
        (av.error.ExitError, "timed out"),
        (TimeoutError, "timed out"),
        (av.error.EOFError, "stream ended"),
        (EOFError, "stream ended"),
    ]
    for kind, reason in table:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, av.error.FFmpegError):
        return f"stream error: {exc.strerror}"[:200]
    return f"stream error: {type(exc).__name__}"


class ArrivalClock:
    """Map stream timestamps to wall time: anchored on arrival, never later than arrival."""

    def __init__(self, clock: Clock, started: datetime) -> None:
        # The stream starts when it is opened: packets buffered while the decoder parameters
        # are probed arrive later, in a burst, and keep their own spacing.
        self._clock = clock
        self._anchor = started
        self._last: datetime | None = None

    def stamp(self, offset_s: float) -> datetime:
        """Return the wall time of a packet `offset_s` seconds into the stream."""
        arrival = self._clock()
        at = self._anchor + timedelta(seconds=offset_s)
        lag = (arrival - at).total_seconds()
        # Packets buffered while the stream was opened arrive in a burst: the earliest
        # consistent mapping is the one where no packet arrives before its own time.
        if lag < 0 or lag > MAX_LAG_S:
            self._anchor += timedelta(seconds=lag)
            at = arrival
        if self._last is not None and at < self._last:
            at = self._last
        self._last = at
        return at


@dataclass(frozen=True)
class StampedPacket:
    """A demuxed packet with its seconds since the stream started and its wall time."""

    packet: Any
    offset_s: float
    at: datetime


class RtspSource:
    """One RTSP connection (TCP); `frames()` makes it a FrameSource, `packets()` feeds recording."""

    def __init__(
        self,
        url: str,
        credentials: StreamCredentials | None = None,
        *,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        clock: Clock = utc_now,
    ) -> None:
        self.url = redact_url(url)
        self._full_url = url_with_credentials(url, credentials)
        self._open_timeout_s = open_timeout_s
        self._read_timeout_s = read_timeout_s
        self._clock = clock
        self._container: Any = None
        self._stream: Any = None
        self._info: SourceInfo | None = None
        self._first_pts: int | None = None
        self._arrival = ArrivalClock(clock, clock())

    @property
    def info(self) -> SourceInfo:
        """Return what the stream says about its video (opens the connection if needed)."""
        self.open()
        assert self._info is not None
        return self._info

    @property
    def stream(self) -> Any:
        """Return the PyAV video stream (the template for remuxing)."""
        self.open()
        return self._stream

    def open(self) -> None:
        """Connect and read the stream description; raise StreamError with a safe reason."""
        if self._container is not None:
            return
        options = {
            "rtsp_transport": "tcp",
            "timeout": str(int(self._read_timeout_s * 1_000_000)),
            "allowed_media_types": "video",
            # One second of probing is enough for H.264/H.265 with parameter sets in the SDP.
            "analyzeduration": "1000000",
        }
        self._arrival = ArrivalClock(self._clock, self._clock())
        try:
            container = av.open(
                self._full_url,
                options=options,
                timeout=(self._open_timeout_s, self._read_timeout_s),
            )
        except (av.error.FFmpegError, OSError, EOFError) as exc:
            raise StreamError(failure_reason(exc)) from None
        if not container.streams.video:
            container.close()
            raise StreamError("the stream has no video")
        self._container = container
        self._stream = container.streams.video[0]
        self._info = _describe(self._stream)

    def packets(self) -> Iterator[StampedPacket]:
        """Yield video packets with wall times until the stream ends; raise StreamError then."""
        self.open()
        time_base = self._stream.time_base
        try:
            for packet in _access_units(self._container.demux(self._stream)):
                if self._first_pts is None:
                    self._first_pts = packet.pts
                offset = float((packet.pts - self._first_pts) * time_base)
                yield StampedPacket(packet, offset, self._arrival.stamp(offset))
        except (av.error.FFmpegError, OSError, EOFError) as exc:
            raise StreamError(failure_reason(exc)) from None
        raise StreamError("stream ended")

    def decode(self, item: StampedPacket, *, convert: bool = True) -> list[Frame]:
        """Return the frames a packet completes (BGR, timed like the packet).

        Every packet must be decoded (later frames refer to it); `convert=False` skips the costly
        conversion to BGR for frames the analysis will not look at, and returns nothing.
        """
        try:
            decoded = self._stream.codec_context.decode(item.packet)
        except av.error.FFmpegError:
            return []  # a damaged packet spoils a frame, not the stream; the next keyframe heals
        if not convert:
            return []
        return [
            Frame(
                load=partial(frame.to_ndarray, format="bgr24"),
                luma=luma_plane(frame),
                offset_s=item.offset_s,
                at=item.at,
            )
            for frame in decoded
        ]

    def frames(self) -> Iterator[Frame]:
        """Yield decoded frames until the stream ends or fails (then raise StreamError)."""
        for item in self.packets():
            yield from self.decode(item)

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        container, self._container = self._container, None
        if container is not None:
            container.close()


def _access_units(packets: Iterator[Any]) -> Iterator[Any]:
    """Join packets of one timestamp into one access unit.

    The RTP depacketiser hands over parameter sets (SPS/PPS sent before each keyframe) as
    packets of their own with the frame's timestamp; MP4 needs one packet per frame.
    """
    pending: list[Any] = []
    for packet in packets:
        if packet.dts is None or packet.pts is None or packet.size == 0:
            continue  # the demuxer's flush packet, or data before timing is known
        if pending and packet.dts != pending[0].dts:
            yield _join(pending)
            pending = []
        pending.append(packet)
    if pending:
        yield _join(pending)


def _join(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    joined = av.Packet(b"".join(bytes(p) for p in parts))
    last = parts[-1]
    joined.pts, joined.dts, joined.time_base = last.pts, last.dts, last.time_base
    joined.duration = last.duration
    joined.is_keyframe = any(p.is_keyframe for p in parts)
    return joined


def _describe(stream: Any) -> SourceInfo:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return SourceInfo(
        width=int(ctx.width or 0),
        height=int(ctx.height or 0),
        fps=float(rate) if rate else 0.0,
        codec=str(ctx.name),
        container="rtsp",
    )
