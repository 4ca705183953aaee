"""Cut a clip from recordings by remuxing (no re-encode): from the keyframe at or before the start.

The clip is an MP4 (`movflags=faststart`, so a browser can start playing before the end has
arrived) whose `creation_time` is the wall-clock time of its first frame. MP4 keeps that time in
whole seconds, so the exact time (microseconds, UTC) is also written as the comment
`first frame at <ISO 8601>`. Packets are copied as they are; only their timestamps move onto the
clip's timeline, so the picture is bit-identical to the recording. Only the first video stream
is copied.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from camera_registry.errors import InvalidInput, NotFound

# Codecs that browsers play inline from an MP4; anything else is offered as a download.
INLINE_CODECS = frozenset({"h264"})
MP4_MEDIA_TYPE = "video/mp4"


class FootageMissing(NotFound):
    """No recording covers the requested range."""


class FootageUnreadable(NotFound):
    """A recording the index lists cannot be opened or demuxed."""


class ClipUnsupported(InvalidInput):
    """The recording's codec cannot be copied into MP4 (e.g. an animated GIF)."""


@dataclass(frozen=True)
class ClipSource:
    """One recording: its file and the wall-clock time of its first and after its last frame."""

    path: Path
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ClipInfo:
    """What was written: file, codec, and the wall-clock span the clip really covers."""

    path: Path
    codec: str
    start: datetime
    end: datetime
    packets: int
    sources: int

    @property
    def inline(self) -> bool:
        """Return True when browsers play the clip's codec inline."""
        return self.codec in INLINE_CODECS

    @property
    def media_type(self) -> str:
        """Return the clip's media type."""
        return MP4_MEDIA_TYPE


@dataclass
class _Writer:
    """The output file, opened when the first packet (and so the clip's start) is known."""

    out_path: Path
    container: Any = None
    stream: Any = None
    clip_start: datetime | None = None
    last_dts: float | None = None  # seconds on the clip's timeline
    last_end: float = 0.0
    packets: int = 0
    packets_before_source: int = 0
    codec: str = ""

    def open(self, template: Any, clip_start: datetime) -> None:
        self.clip_start = clip_start
        self.codec = template.codec_context.name
        self.container = av.open(
            str(self.out_path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        exact = clip_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.container.metadata["creation_time"] = exact
        self.container.metadata["comment"] = f"first frame at {exact}"
        try:
            self.stream = self.container.add_stream_from_template(template)
        except ValueError as exc:
            raise ClipUnsupported(
                f"footage in {self.codec} cannot be cut into MP4 without re-encoding;"
                " download the original file instead"
            ) from exc
        if self.codec == "hevc":
            # Apple players and browsers only recognise HEVC in MP4 under the hvc1 tag.
            self.stream.codec_tag = "hvc1"


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


# How far before the target to seek again when a demuxer lands after it (Matroska may).
_SEEK_BACKOFF_S = (0.0, 10.0, 60.0)


def _seek_before(container: Any, stream: Any, target: float) -> None:
    """Seek so demuxing starts at a keyframe at or before `target` (else at the file's start)."""
    time_base: Fraction = stream.time_base
    first = stream.start_time or 0
    for back in _SEEK_BACKOFF_S:
        position = first + int((target - back) / time_base)
        if target - back <= 0:
            break
        container.seek(position, stream=stream, backward=True)
        key = next(
            (p for p in container.demux(stream) if p.is_keyframe and p.pts is not None), None
        )
        if key is not None and float((key.pts - first) * time_base) <= target:
            container.seek(position, stream=stream, backward=True)
            return
    container.seek(first, stream=stream, backward=True)


def _dated(container: Any, stream: Any) -> Iterator[tuple[Any, float, float]]:
    """Yield (packet, pts s, dts s) since the stream's start, filling in missing decode times.

    Matroska leaves the decode time out where it cannot tell it (the first packets, and those
    right after a seek); they decode one frame apart before the next packet that has one.
    """
    time_base: Fraction = stream.time_base
    first = stream.start_time or 0
    rate = stream.average_rate or stream.guessed_rate
    step = float(1 / rate) if rate else 0.0
    undated: list[Any] = []
    for packet in container.demux(stream):
        if packet.pts is None or not packet.size:
            continue  # the demuxer's flush packet
        if packet.dts is None:
            undated.append(packet)
            continue
        dts_s = float((packet.dts - first) * time_base)
        for n, early in enumerate(undated):
            early_dts = dts_s - (len(undated) - n) * step
            yield early, float((early.pts - first) * time_base), early_dts
        undated = []
        yield packet, float((packet.pts - first) * time_base), dts_s
    for packet in undated:
        pts_s = float((packet.pts - first) * time_base)
        yield packet, pts_s, pts_s


def _packets_from(
    source: ClipSource, *, target_s: float | None, stop_s: float
) -> Iterator[tuple[Any, float, float, Any]]:
    """Yield (packet, pts s, dts s, stream) from the last keyframe at or before `target_s`.

    Times are seconds since the source's first frame; `target_s` None starts at the first
    keyframe. The walk ends at the first packet decoded at or after `stop_s`.
    """
    target = -math.inf if target_s is None else target_s
    with av.open(str(source.path)) as container:
        stream = container.streams.video[0]
        if target > 0:
            _seek_before(container, stream, target)
        pending: list[tuple[Any, float, float, Any]] = []
        started = False
        for packet, pts_s, dts_s in _dated(container, stream):
            item = (packet, pts_s, dts_s, stream)
            if started:
                if dts_s >= stop_s:
                    return
                yield item
                continue
            if packet.is_keyframe and (pts_s <= target or not pending):
                pending = [item]  # a closer keyframe; or the first one, when none precedes
            elif pending:
                pending.append(item)
            # A keyframe at or before the target decodes no later than the target, so once
            # decoding passes it, the start is settled.
            if pending and dts_s >= target:
                started = True
                yield pending[0]
                yield from (i for i in pending[1:] if i[2] < stop_s)
                pending = []
        yield from pending  # the file ended before the target: the clip starts where it can


def _write(writer: _Writer, packet: Any, pts: float, dts: float, frame_s: float) -> None:
    """Mux a packet at `pts`/`dts` seconds on the clip's timeline."""
    time_base: Fraction = packet.time_base
    packet.pts = round(pts / time_base)
    packet.dts = round(dts / time_base)
    packet.stream = writer.stream
    packet.time_base = time_base
    writer.container.mux(packet)
    writer.last_dts = dts
    writer.last_end = max(writer.last_end, pts + frame_s)
    writer.packets += 1


def _copy_source(writer: _Writer, source: ClipSource, start: datetime, end: datetime) -> None:
    """Copy one source's packets in the range onto the clip's timeline."""
    first = writer.container is None
    writer.packets_before_source = writer.packets
    target = _seconds(start - source.start) if first else None
    stop = _seconds(end - source.start)
    shift: float | None = None  # seconds from source time to clip time
    for packet, pts_s, dts_s, stream in _packets_from(source, target_s=target, stop_s=stop):
        # Containers disagree on packet durations; the frame rate is what players show.
        rate = stream.average_rate or stream.guessed_rate
        frame_s = float(1 / rate) if rate else 0.0
        if writer.container is None:
            writer.open(stream, source.start + timedelta(seconds=pts_s))
        assert writer.clip_start is not None
        if shift is None:
            shift = _seconds(source.start - writer.clip_start)
        if not first and writer.packets_before_source == writer.packets:
            # A later file may overlap the one before: resume at its first keyframe shown
            # after what was written.
            if not packet.is_keyframe or pts_s + shift < writer.last_end - frame_s / 2:
                continue
            if writer.last_dts is not None and dts_s + shift <= writer.last_dts:
                # Its decode times (earlier than the shown ones by the reorder delay) would run
                # backwards at the join; delay the file by that much, a frame or two at most.
                shift = writer.last_dts - dts_s + float(packet.time_base)
        _write(writer, packet, pts_s + shift, dts_s + shift, frame_s)


def cut_clip(
    sources: Sequence[ClipSource], start: datetime, end: datetime, out_path: Path
) -> ClipInfo:
    """Write an MP4 of [start, end) from consecutive recordings, starting at a keyframe."""
    chosen = sorted((s for s in sources if s.start < end and s.end > start), key=lambda s: s.start)
    if not chosen:
        raise FootageMissing("no recording covers that time range; check the camera's coverage")
    writer = _Writer(out_path)
    used = 0
    try:
        for source in chosen:
            before = writer.packets
            try:
                _copy_source(writer, source, start, end)
            except (OSError, av.FFmpegError) as exc:
                # The name only: callers of the API must not learn the server's folders.
                raise FootageUnreadable(
                    f"recording {source.path.name} is missing or unreadable; check the store"
                ) from exc
            used += writer.packets > before
    except BaseException:
        if writer.container is not None:
            writer.container.close()
        out_path.unlink(missing_ok=True)
        raise
    if writer.container is not None:
        writer.container.close()
    if writer.clip_start is None or writer.packets == 0:
        out_path.unlink(missing_ok=True)
        raise FootageMissing("the recordings hold no video frames in that time range")
    return ClipInfo(
        path=out_path,
        codec=writer.codec,
        start=writer.clip_start,
        end=writer.clip_start + timedelta(seconds=writer.last_end),
        packets=writer.packets,
        sources=used,
    )
