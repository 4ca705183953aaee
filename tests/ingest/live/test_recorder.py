"""The segment recorder, fed with packets demuxed from a file (exact times, no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import CoverageInterval, CoverageKind, Footage
from ingest.frames import SourceInfo
from ingest.pipeline.storage import hash_file
from ingest.recorder import SegmentRecorder
from ingest.source.rtsp_source import StampedPacket
from tests.builders import make_camera

T0 = datetime(2026, 3, 12, 1, 15, 0, tzinfo=UTC)
INFO = SourceInfo(width=320, height=240, fps=10.0, codec="h264", container="rtsp")


def _record(recorder: SegmentRecorder, clip: Path) -> None:
    with av.open(str(clip)) as source:
        stream = source.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None
        recorder.begin(stream, INFO)
        for packet in source.demux(stream):
            if packet.pts is None:
                continue
            offset = float(packet.pts * time_base)
            recorder.write(StampedPacket(packet, offset, T0 + timedelta(seconds=offset)))
        recorder.close()


def test_segments_are_cut_at_keyframes_and_indexed(
    session_factory: sessionmaker[Session], media: dict[str, Path], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as s:
        camera = make_camera(s, status="active")
        camera_id, code = camera.id, camera.code
    recorder = SegmentRecorder(
        camera_id=camera_id,
        camera_code=code,
        recordings_dir=tmp_path / "recordings",
        session_factory=session_factory,
        segment_seconds=1.5,
    )
    _record(recorder, media["mp4"])
    with unit_of_work(session_factory) as s:
        rows = list(s.scalars(select(Footage).order_by(Footage.start)))
        coverage = list(s.scalars(select(CoverageInterval).order_by(CoverageInterval.start)))
    # Keyframes every second: 1.5 s segments are cut at the next keyframe, 2 s each.
    assert [(r.start - T0, r.end - T0) for r in rows] == [
        (timedelta(seconds=0), timedelta(seconds=2)),
        (timedelta(seconds=2), timedelta(seconds=4)),
    ]
    assert [(c.kind, c.start, c.end, c.footage_id) for c in coverage] == [
        (CoverageKind.RECORDED, r.start, r.end, r.id) for r in rows
    ]
    for row in rows:
        assert Path(row.path).name == f"{row.start:%Y%m%dT%H%M%S}.000Z.mp4"
        assert hash_file(Path(row.path)) == (row.sha256, row.size_bytes)
        with av.open(row.path) as played:
            assert sum(1 for _ in played.decode(video=0)) == 20
    assert recorder.segment_count == 2


def test_a_segment_that_cannot_be_indexed_is_kept_complete(
    media: dict[str, Path], tmp_path: Path
) -> None:
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path}/missing/dir/camreg.db"))
    recorder = SegmentRecorder(
        camera_id=1,
        camera_code="CAM-X",
        recordings_dir=tmp_path / "recordings",
        session_factory=broken,
        segment_seconds=10.0,
    )
    _record(recorder, media["mp4"])
    files = list((tmp_path / "recordings").rglob("*"))
    kept = [f for f in files if f.is_file()]
    assert [f.name for f in kept] == ["20260312T011500.000Z.mp4"]
    with av.open(str(kept[0])) as played:
        assert sum(1 for _ in played.decode(video=0)) == 40
    assert recorder.segment_count == 0
