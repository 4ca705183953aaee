"""Retention of health history on both databases: old rows and files go, the rest stays."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import Actor
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from config.settings import HealthSettings, Settings
from ingest.health.model import (
    AlertChannel,
    AlertDelivery,
    CameraHealth,
    HealthCheck,
    HealthInterval,
)
from ingest.health.reference import set_reference
from ingest.health.retention import PruneSummary, prune_history
from ingest.health.scheduler import HealthJobs, HealthScheduler, Ticks
from ingest.health.service import HealthContext
from ingest.health.store import SNAPSHOT_DIR
from ingest.health.vocabulary import CheckTier, HealthState
from tests.builders import make_camera

NOW = utcnow()
JPEG = b"\xff\xd8\xff\xe0 not really a picture \xff\xd9"


def _settings(data_dir: Path, *, history_days: int = 30, snapshot_days: int = 7) -> Settings:
    return Settings(
        data_dir=data_dir,
        health=HealthSettings(history_days=history_days, snapshot_days=snapshot_days),
    )


def _camera(factory: sessionmaker[Session], code: str = "CAM") -> int:
    with unit_of_work(factory) as s:
        return make_camera(s, code=code, status="planned").id


def _check(
    factory: sessionmaker[Session],
    data_dir: Path,
    camera_id: int,
    age: timedelta,
    *,
    code: str = "CAM",
    snapshot: bool = True,
    write_file: bool = True,
) -> tuple[int, Path | None]:
    """Store a picture check `age` ago, with its snapshot file as store.py lays them out."""
    at = NOW - age
    relative = None
    if snapshot:
        name = f"{at:%H%M%S}-picture-{uuid.uuid4().hex[:8]}.jpg"
        relative = (SNAPSHOT_DIR / code / f"{at:%Y}" / f"{at:%m}" / f"{at:%d}" / name).as_posix()
        if write_file:
            (data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (data_dir / relative).write_bytes(JPEG)
    with unit_of_work(factory) as s:
        row = HealthCheck(
            camera_id=camera_id,
            tier=CheckTier.PICTURE,
            checked_at=at,
            state=HealthState.ONLINE,
            reasons=[],
            details={},
            snapshot_path=relative,
        )
        s.add(row)
        s.flush()
        return row.id, None if relative is None else data_dir / relative


def _count(factory: sessionmaker[Session], model: type[object]) -> int:
    with unit_of_work(factory) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_old_rows_and_files_go_while_recent_ones_reference_and_intervals_stay(
    session_factory: sessionmaker[Session], tmp_path: Path, actor: Actor
) -> None:
    cam = _camera(session_factory)
    old_id, old_file = _check(session_factory, tmp_path, cam, timedelta(days=40))
    mid_id, mid_file = _check(session_factory, tmp_path, cam, timedelta(days=10))
    new_id, new_file = _check(session_factory, tmp_path, cam, timedelta(days=1))
    reach_id, _ = _check(session_factory, tmp_path, cam, timedelta(days=10), snapshot=False)
    with unit_of_work(session_factory) as s:
        # The reference comes from the oldest snapshot: it must survive that check's deletion.
        set_reference(s, code="CAM", actor=actor, data_dir=tmp_path, check_id=old_id, now=NOW)
        s.add(
            HealthInterval(
                camera_id=cam, state=HealthState.OFFLINE, reasons=[], start=NOW - timedelta(99)
            )
        )
        s.add(
            AlertDelivery(
                channel=AlertChannel.MQTT,
                camera_id=cam,
                kind="state_changed",
                dedupe_key="mqtt:CAM:old",
                payload={},
                next_attempt_at=NOW - timedelta(days=99),
                created_at=NOW - timedelta(days=99),
            )
        )

    summary = prune_history(session_factory, _settings(tmp_path), NOW)

    assert (summary.rows_deleted, summary.snapshots_cleared, summary.files_removed) == (1, 1, 2)
    assert old_file is not None
    assert not old_file.exists()
    assert mid_file is not None
    assert not mid_file.exists()
    assert new_file is not None
    assert new_file.read_bytes() == JPEG
    with unit_of_work(session_factory) as s:
        kept = {row.id: row.snapshot_path for row in s.scalars(select(HealthCheck))}
        health = s.get(CameraHealth, cam)
        assert health is not None
        assert health.reference_path is not None
        reference = tmp_path / health.reference_path
    assert set(kept) == {mid_id, new_id, reach_id}
    assert kept[mid_id] is None
    assert kept[reach_id] is None
    assert kept[new_id] is not None
    assert reference.read_bytes() == JPEG  # a copy, not the pruned snapshot
    assert _count(session_factory, HealthInterval) == 1
    assert _count(session_factory, AlertDelivery) == 1
    # Nothing left to do: a second run removes nothing.
    again = prune_history(session_factory, _settings(tmp_path), NOW)
    assert (again.rows_deleted, again.snapshots_cleared, again.files_removed) == (0, 0, 0)


def test_a_backlog_larger_than_one_batch_goes_in_several_transactions(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    files = [
        _check(session_factory, tmp_path, cam, timedelta(days=31, minutes=i))[1] for i in range(23)
    ]
    _check(session_factory, tmp_path, cam, timedelta(days=29), snapshot=False)

    summary = prune_history(session_factory, _settings(tmp_path), NOW, batch_size=5)

    assert summary.rows_deleted == 23
    assert summary.files_removed == 23
    assert summary.batches == 5  # 5 + 5 + 5 + 5 + 3
    assert not any(f is not None and f.exists() for f in files)
    assert _count(session_factory, HealthCheck) == 1


def test_a_snapshot_file_already_missing_is_fine(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    _check(session_factory, tmp_path, cam, timedelta(days=40), write_file=False)
    _check(session_factory, tmp_path, cam, timedelta(days=10), write_file=False)

    summary = prune_history(session_factory, _settings(tmp_path), NOW)

    assert (summary.rows_deleted, summary.snapshots_cleared, summary.files_removed) == (1, 1, 0)
    with unit_of_work(session_factory) as s:
        assert list(s.scalars(select(HealthCheck.snapshot_path))) == [None]


def test_leftover_files_of_old_days_go_but_other_folders_stay(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    old = NOW - timedelta(days=20)
    day = tmp_path / SNAPSHOT_DIR / "CAM" / f"{old:%Y}" / f"{old:%m}" / f"{old:%d}"
    day.mkdir(parents=True)
    (day / "orphan.jpg").write_bytes(JPEG)  # e.g. a crash between a commit and the unlink
    recent = NOW - timedelta(days=2)
    keep = tmp_path / SNAPSHOT_DIR / "CAM" / f"{recent:%Y}" / f"{recent:%m}" / f"{recent:%d}"
    keep.mkdir(parents=True)
    (keep / "fresh.jpg").write_bytes(JPEG)
    odd = tmp_path / SNAPSHOT_DIR / "CAM" / "notes"
    odd.mkdir()

    summary = prune_history(session_factory, _settings(tmp_path), NOW)

    assert summary.files_removed == 1
    assert not day.exists()
    assert (keep / "fresh.jpg").exists()
    assert odd.is_dir()
    assert (tmp_path / SNAPSHOT_DIR / "CAM").is_dir()  # a check may be writing into it


def test_two_pruners_at_once_share_the_work(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    for i in range(120):
        _check(session_factory, tmp_path, cam, timedelta(days=31, seconds=i))
    for i in range(40):
        _check(session_factory, tmp_path, cam, timedelta(days=8, seconds=i))
    summaries: list[PruneSummary] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def prune() -> None:
        try:
            start.wait()
            summaries.append(prune_history(session_factory, _settings(tmp_path), NOW, batch_size=7))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=prune) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert sum(s.rows_deleted for s in summaries) == 120
    assert sum(s.snapshots_cleared for s in summaries) == 40
    assert sum(s.files_removed for s in summaries) == 160
    assert _count(session_factory, HealthCheck) == 40
    assert not list((tmp_path / SNAPSHOT_DIR).rglob("*.jpg"))


def test_the_scheduler_prunes(
    session_factory: sessionmaker[Session], tmp_path: Path, database_url: str
) -> None:
    cam = _camera(session_factory)
    _, file = _check(session_factory, tmp_path, cam, timedelta(days=40))
    settings = _settings(tmp_path)
    settings = settings.model_copy(update={"database_url": database_url})
    ctx = HealthContext(session_factory=session_factory, settings=settings, cipher=None, owner="t")
    scheduler = HealthScheduler(HealthJobs(ctx), Ticks(prune_s=0.5))
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        while _count(session_factory, HealthCheck) and time.monotonic() < deadline:
            threading.Event().wait(0.2)
    finally:
        scheduler.stop()
    assert _count(session_factory, HealthCheck) == 0
    assert file is not None
    assert not file.exists()


@pytest.mark.parametrize("field", ["history_days", "snapshot_days"])
def test_retention_must_keep_at_least_a_day(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        HealthSettings.model_validate({field: 0})


def test_files_of_rows_just_past_the_limits_go_with_their_rows(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    # Within the day of margin the leftover sweep keeps: only the rows' own paths remove these.
    cam = _camera(session_factory)
    settings = _settings(tmp_path, history_days=30, snapshot_days=30)
    _, deleted = _check(session_factory, tmp_path, cam, timedelta(days=30, hours=1))
    settings_short = _settings(tmp_path, history_days=30, snapshot_days=7)
    kept_id, cleared = _check(session_factory, tmp_path, cam, timedelta(days=7, hours=1))

    first = prune_history(session_factory, settings, NOW)
    second = prune_history(session_factory, settings_short, NOW)

    assert (first.rows_deleted, first.files_removed) == (1, 1)
    assert (second.snapshots_cleared, second.files_removed) == (1, 1)
    assert deleted is not None
    assert cleared is not None
    assert not deleted.exists()
    assert not cleared.exists()
    with unit_of_work(session_factory) as s:
        assert list(s.scalars(select(HealthCheck.id))) == [kept_id]
