"""The pure parts of live streaming: backoff, arrival clock, URL redaction, failure reasons."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import av
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.crypto import StreamCredentials
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import CoverageInterval, CoverageKind
from ingest.frames import Frame, SourceInfo
from ingest.live import Backoff, CameraPipeline, LiveCamera, LiveContext, LiveOptions
from ingest.recorder import segment_path
from ingest.source.rtsp_source import (
    ArrivalClock,
    StampedPacket,
    failure_reason,
    redact_url,
    url_with_credentials,
)
from tests.builders import make_camera
from tests.support.rtsp import wait_until

T0 = datetime(2026, 3, 12, 1, 15, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_backoff_doubles_with_jitter_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(1.0, 8.0, random.Random(7))
    waits = [backoff.next() for _ in range(6)]
    for wait, base in zip(waits, [1, 2, 4, 8, 8, 8], strict=True):
        assert base / 2 <= wait <= base
    backoff.reset()
    assert backoff.next() <= 1.0


def test_arrival_clock_keeps_stream_spacing_for_a_burst_and_never_runs_ahead() -> None:
    clock = FakeClock(T0)
    arrival = ArrivalClock(clock, T0)
    # Opened at T0; the first second of packets arrives in a burst 1.2 s later.
    clock.now = T0 + timedelta(seconds=1.2)
    burst = [arrival.stamp(i / 10) for i in range(10)]
    assert burst[0] == T0
    assert burst[9] == T0 + timedelta(seconds=0.9)
    # A packet stamped later than its arrival is pulled back to the arrival time.
    clock.now = T0 + timedelta(seconds=1.5)
    assert arrival.stamp(3.0) == clock.now
    # The mapping follows the new anchor, and time never goes backwards.
    clock.now = T0 + timedelta(seconds=1.7)
    assert arrival.stamp(3.1) == T0 + timedelta(seconds=1.6)
    assert arrival.stamp(2.0) == T0 + timedelta(seconds=1.6)


def test_arrival_clock_reanchors_when_the_stream_falls_far_behind() -> None:
    clock = FakeClock(T0)
    arrival = ArrivalClock(clock, T0)
    assert arrival.stamp(0.0) == T0
    clock.now = T0 + timedelta(seconds=30)  # stalled, then the sender restarted at pts 1 s
    assert arrival.stamp(1.0) == clock.now


def test_urls_are_redacted_and_credentials_percent_encoded() -> None:
    assert redact_url("rtsp://admin:pw@10.0.0.5:554/Streaming/101?x=1") == (
        "rtsp://10.0.0.5:554/Streaming/101?x=1"
    )
    assert redact_url("rtsp://[fe80::1]:8554/live") == "rtsp://[fe80::1]:8554/live"
    full = url_with_credentials("rtsp://cam:554/a", StreamCredentials("ad@min", "p:w/d"))
    assert full == "rtsp://ad%40min:p%3Aw%2Fd@cam:554/a"
    assert url_with_credentials("rtsp://cam/a", None) == "rtsp://cam/a"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            av.error.ConnectionRefusedError(111, "refused", "rtsp://u:secret@h/x"),
            "connection refused",
        ),
        (av.error.InvalidDataError(1, "bad", "rtsp://u:secret@h/x"), "invalid data"),
        (av.error.HTTPUnauthorizedError(1, "401", "rtsp://u:secret@h/x"), "auth failed"),
        (av.error.ExitError(1, "exit", "rtsp://u:secret@h/x"), "timed out"),
    ],
)
def test_failure_reasons_never_quote_the_url(error: Exception, reason: str) -> None:
    text = failure_reason(error)
    assert text.startswith(reason)
    assert "secret" not in text


def test_segments_live_under_camera_and_utc_date() -> None:
    path = segment_path(Path("data/recordings"), "VT-1", T0 + timedelta(microseconds=123456))
    assert path == Path("data/recordings/VT-1/2026/03/12/20260312T011500.123Z.mp4")


class KeylessSource:
    """A connection that delivers packets, none of them a keyframe (garbage video)."""

    url = "rtsp://fake/keyless"
    stream = None
    info = SourceInfo(width=320, height=240, fps=10.0, codec="h264", container="rtsp")

    def open(self) -> None:
        """Connect (nothing to do)."""

    def packets(self) -> Iterator[StampedPacket]:
        """Yield one non-keyframe packet a (simulated) second, for ever."""
        start = datetime.now(UTC)
        for i in itertools.count():
            packet = SimpleNamespace(is_keyframe=False, pts=i, dts=i)
            yield StampedPacket(packet, float(i), start + timedelta(seconds=i))

    def decode(self, item: StampedPacket, *, convert: bool = True) -> list[Frame]:
        """Decode nothing."""
        return []

    def close(self) -> None:
        """Disconnect (nothing to do)."""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_packets_without_keyframes_become_a_gap_not_silence(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as s:
        row = make_camera(s, status="active", stream_url="rtsp://fake/keyless")
    camera = LiveCamera(id=row.id, code=row.code, stream_url="rtsp://fake/keyless")
    ctx = LiveContext(
        session_factory=session_factory,
        recordings_dir=tmp_path / "recordings",
        thumbnail_dir=tmp_path / "thumbnails",
        options=LiveOptions(backoff_min_s=0.1, backoff_max_s=0.2, keyframe_timeout_s=5.0),
        source_factory=lambda url, credentials, options: KeylessSource(),
    )
    stop = threading.Event()
    pipeline = CameraPipeline(camera, ctx, stop)
    thread = threading.Thread(target=pipeline.run)
    thread.start()
    try:
        assert wait_until(lambda: pipeline.gaps.is_open, 20)
    finally:
        stop.set()
        thread.join(20)
    with unit_of_work(session_factory) as s:
        rows = list(s.scalars(select(CoverageInterval)))
    assert [(r.kind, r.reason) for r in rows] == [
        (CoverageKind.GAP, "no decodable video (no keyframe for 6 s)")
    ]
    assert not (tmp_path / "recordings").exists() or not list((tmp_path / "recordings").rglob("*"))
