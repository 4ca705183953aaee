"""`camreg ingest …` end to end through the root command line, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import CoverageInterval, Footage, IngestJob, MotionEvent
from ingest.jobs import queue
from tests.builders import make_camera
from tests.ingest.pipeline.clips import write_clip

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "footage" / "bottle-detection.mp4"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner on the test database with camera CAM-1 registered."""
    with unit_of_work(session_factory) as s:
        make_camera(s, code="CAM-1")
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


def _ingest(cli: CliRunner, *args: str) -> tuple[int, Any, str]:
    result = cli.invoke(app, ["ingest", *args])
    out = json.loads(result.stdout) if result.stdout.strip().startswith(("{", "[")) else None
    return result.exit_code, out, result.stderr


def _rows(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with unit_of_work(factory) as s:
        return tuple(  # type: ignore[return-value]
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Footage, MotionEvent, CoverageInterval)
        )


def test_sample_clip_end_to_end(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    code, out, err = _ingest(
        cli,
        "file",
        str(SAMPLE),
        "--camera",
        "CAM-1",
        "--start",
        "2026-03-01T08:00:00",
        "--case",
        "HS-2026-17",
        "--json",
    )
    assert code == 0, err
    assert out["indexed"] == 1
    assert out["frames"] > 1000
    assert 39 < out["footage_seconds"] < 41
    assert out["events"] > 0
    assert out["wall_seconds"] > 0
    # Naive --start is read in Asia/Ho_Chi_Minh (UTC+7).
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with unit_of_work(session_factory) as s:
        footage = s.scalars(select(Footage)).one()
        assert footage.start == start
        assert footage.case_number == "HS-2026-17"
        events = s.scalars(select(MotionEvent)).all()
    assert len(events) == out["events"]
    for event in events:
        assert footage.start <= event.start < event.end <= footage.end
        assert event.thumbnail_path is not None
        assert Path(event.thumbnail_path).is_file()
    before = _rows(session_factory)
    code, out, err = _ingest(
        cli, "file", str(SAMPLE), "--camera", "CAM-1", "--start", "2026-03-02T08:00:00", "--json"
    )
    assert code == 0, err
    assert (out["indexed"], out["duplicates"]) == (0, 1)
    assert "already indexed" in err
    assert _rows(session_factory) == before


def test_clock_offset_shifts_every_time(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    code, _, err = _ingest(
        cli,
        "file",
        str(clip),
        "--camera",
        "CAM-1",
        "--start",
        "2026-03-01T08:00:00+07:00",
        "--clock-offset",
        "-30",
        "--json",
    )
    assert code == 0, err
    expected = datetime(2026, 3, 1, 1, 0, tzinfo=UTC) - timedelta(seconds=30)
    with unit_of_work(session_factory) as s:
        footage = s.scalars(select(Footage)).one()
        event = s.scalars(select(MotionEvent)).one()
    assert (footage.start, footage.clock_offset_s) == (expected, -30)
    assert expected + timedelta(seconds=1) <= event.start < expected + timedelta(seconds=2)


def test_folder_is_ingested_file_by_file(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    (folder / "day2").mkdir(parents=True)
    write_clip(folder / "day2" / "cam_20260302_093000.mkv", seed=2)
    write_clip(folder / "cam_20260301_080000.mp4", seed=1)
    write_clip(folder / "unnamed.mp4", seed=3, creation_time="2026-03-03T01:00:00.000000Z")
    (folder / "notes.txt").write_text("not a video, ignored")
    code, _, err = _ingest(cli, "file", str(folder), "--camera", "CAM-1", "--start", "2026-03-01")
    assert code == 2
    assert "one time for 3 files" in " ".join(err.split())
    named = CliRunner(env={**cli.env, "CAMREG_INGEST__FILENAME_PATTERN": "%Y%m%d_%H%M%S"})
    code, out, err = _ingest(named, "file", str(folder), "--camera", "CAM-1", "--json")
    assert code == 0, err
    assert [f["file"] for f in out["files"]] == [
        "cam_20260301_080000.mp4",
        "cam_20260302_093000.mkv",
        "unnamed.mp4",
    ]
    assert [f["start"] for f in out["files"]] == [
        "2026-03-01T01:00:00+00:00",
        "2026-03-02T02:30:00+00:00",
        "2026-03-03T01:00:00+00:00",
    ]
    assert (out["indexed"], out["frames"], out["footage_seconds"]) == (3, 90, 9.0)
    assert _rows(session_factory) == (3, 3, 3)


def test_queue_only_then_a_worker_runs_the_job(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    code, out, err = _ingest(
        cli,
        "file",
        str(clip),
        "--camera",
        "CAM-1",
        "--start",
        "2026-03-01T08:00:00",
        "--queue-only",
        "--json",
    )
    assert code == 0, err
    assert (out["queued"], out["indexed"]) == (1, 0)
    assert _rows(session_factory)[0] == 0
    code, jobs, _ = _ingest(cli, "jobs", "--state", "queued", "--json")
    assert [(j["state"], j["file"], j["camera"]) for j in jobs] == [("queued", "a.mp4", "CAM-1")]
    code, out, err = _ingest(cli, "run", "--once", "--json")
    assert code == 0, err
    assert (out["jobs"], out["indexed"], out["events"]) == (1, 1, 1)
    code, jobs, _ = _ingest(cli, "jobs", "--json")
    assert jobs[0]["state"] == "done"


def _not_video(tmp_path: Path) -> list[str]:
    fake = tmp_path / "fake.mp4"
    fake.write_text("these are notes, not a video\n" * 50)
    return [str(fake), "--camera", "CAM-1", "--start", "2026-03-01T08:00:00"]


def _truncated(tmp_path: Path) -> list[str]:
    half = tmp_path / "half.mp4"
    data = SAMPLE.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    return [str(half), "--camera", "CAM-1", "--start", "2026-03-01T08:00:00"]


def _unknown_camera(tmp_path: Path) -> list[str]:
    return [str(write_clip(tmp_path / "a.mp4")), "--camera", "NOPE-9", "--start", "2026-03-01"]


def _future(tmp_path: Path) -> list[str]:
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return [str(write_clip(tmp_path / "a.mp4")), "--camera", "CAM-1", "--start", later]


def _missing_start(tmp_path: Path) -> list[str]:
    return [str(write_clip(tmp_path / "a.mp4")), "--camera", "CAM-1"]


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (_not_video, "not a readable video"),
        (_truncated, "half.mp4"),
        (_unknown_camera, "no camera with code 'NOPE-9'"),
        (_future, "lies in the future"),
        (_missing_start, "no start time"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli: CliRunner,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    make_args: Any,
    message: str,
) -> None:
    code, out, err = _ingest(cli, "file", *make_args(tmp_path), "--json")
    assert code == 2
    assert out is None
    assert message in " ".join(err.split())
    assert _rows(session_factory) == (0, 0, 0)
    with unit_of_work(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(IngestJob)) == 0
    assert list((tmp_path / "var").rglob("*.mp4")) == []


def test_missing_start_message_names_the_three_ways(cli: CliRunner, tmp_path: Path) -> None:
    _, _, err = _ingest(cli, "file", *_missing_start(tmp_path))
    text = " ".join(err.split())
    for way in ("--start", "creation_time", "filename_pattern"):
        assert way in text


def test_a_job_another_worker_holds_is_left_to_it(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    args = ["file", str(clip), "--camera", "CAM-1", "--start", "2026-03-01T08:00:00", "--json"]
    code, _, err = _ingest(cli, *args, "--queue-only")
    assert code == 0, err
    with unit_of_work(session_factory) as s:
        assert queue.claim(s, owner="other-host:1", lease_seconds=600) is not None
    code, out, err = _ingest(cli, *args)
    assert code == 0, err
    assert (out["queued"], out["indexed"]) == (1, 0)
    assert "held by another worker" in err
    assert _rows(session_factory)[0] == 0
