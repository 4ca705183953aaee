"""Retention of health history: old check rows and their snapshot files go, in bounded batches.

Kept for good: reference pictures (copies under health/references/, see reference.py), state
intervals (availability history, small) and the alert delivery log. Each batch is its own short
transaction, so a big backlog never holds a long write lock (SQLite has one writer at a time);
a batch's files are removed only after its transaction commits, so a rollback never leaves a
row pointing at a deleted file. Two workers may prune at once: on PostgreSQL each skips the
rows the other has locked, and each removes only the files of rows its own statement changed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import NotFound
from config.settings import Settings
from ingest.health.model import HealthCheck
from ingest.health.reading import stored_file
from ingest.health.store import SNAPSHOT_DIR

log = logging.getLogger(__name__)

BATCH_SIZE = 5_000


@dataclass(frozen=True)
class PruneSummary:
    """What one pruning run removed."""

    rows_deleted: int  # health_checks rows older than history_days
    snapshots_cleared: int  # rows kept, their snapshot older than snapshot_days dropped
    files_removed: int  # snapshot files removed (rows' files and leftovers of old days)
    batches: int  # transactions used
    history_before: datetime
    snapshots_before: datetime

    def as_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready values."""
        data: dict[str, object] = asdict(self)
        data["history_before"] = self.history_before.isoformat()
        data["snapshots_before"] = self.snapshots_before.isoformat()
        return data


def _remove_files(data_dir: Path, relatives: Sequence[str | None]) -> int:
    """Remove snapshot files (already missing is fine); return how many were there."""
    removed = 0
    for relative in relatives:
        if not relative or not relative.startswith(SNAPSHOT_DIR.as_posix() + "/"):
            continue  # only snapshots: never a reference picture or anything else
        try:
            path = stored_file(data_dir, relative)
        except NotFound:
            log.warning("health prune: snapshot path %r leaves the data folder; kept", relative)
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("health prune: cannot remove %s: %s", path, exc)
    return removed


Batch = tuple[int, list[str | None], int]  # rows changed, their snapshot paths, last id seen


def _candidates(
    session: Session, *where: ColumnElement[bool], after: int, limit: int
) -> list[tuple[int, str | None]]:
    stmt = (
        select(HealthCheck.id, HealthCheck.snapshot_path)
        # Keyset: each batch starts after the last, never rescanning rows already done.
        .where(HealthCheck.id > after, *where)
        .order_by(HealthCheck.id)
        .limit(limit)
        # PostgreSQL: a second pruner takes other rows instead of waiting on these.
        .with_for_update(skip_locked=True)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def _delete_batch(
    session_factory: sessionmaker[Session], before: datetime, after: int, limit: int
) -> Batch | None:
    """Delete one batch of old rows; return (rows, their snapshot paths), None when done."""
    with unit_of_work(session_factory) as session:
        found = _candidates(session, HealthCheck.checked_at < before, after=after, limit=limit)
        if not found:
            return None
        # RETURNING names only the rows this statement deleted, not a concurrent pruner's.
        stmt = (
            delete(HealthCheck)
            .where(HealthCheck.id.in_([row_id for row_id, _ in found]))
            .returning(HealthCheck.snapshot_path)
            .execution_options(synchronize_session=False)
        )
        paths = list(session.scalars(stmt))
    return len(paths), paths, found[-1][0]


def _clear_batch(
    session_factory: sessionmaker[Session], before: datetime, after: int, limit: int
) -> Batch | None:
    """Drop one batch of old snapshots from kept rows; return (rows, paths), None when done."""
    with unit_of_work(session_factory) as session:
        found = _candidates(
            session,
            HealthCheck.checked_at < before,
            HealthCheck.snapshot_path.is_not(None),
            after=after,
            limit=limit,
        )
        if not found:
            return None
        paths = dict(found)
        stmt = (
            update(HealthCheck)
            .where(HealthCheck.id.in_(paths), HealthCheck.snapshot_path.is_not(None))
            .values(snapshot_path=None)
            .returning(HealthCheck.id)
            .execution_options(synchronize_session=False)
        )
        cleared = list(session.scalars(stmt))
    return len(cleared), [paths[row_id] for row_id in cleared], found[-1][0]


def _day(year: Path, month: Path, day: Path) -> date | None:
    try:
        return date(int(year.name), int(month.name), int(day.name))
    except ValueError:
        return None


def _number(path: Path) -> int:
    """Return a date folder's number; a folder of another name is never removed."""
    return int(path.name) if path.name.isdigit() else 1_000_000


def _subdirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir())
    except OSError:
        return []


def _sweep_old_days(data_dir: Path, before: date) -> int:
    """Remove leftover files of snapshot days before `before` (e.g. a crash after a commit).

    Day folders are named by the check's UTC date; the caller leaves a day of margin, and no
    row of such a day still names its snapshot once the batches ran. Camera folders stay: a
    check may be writing into one right now.
    """
    removed = 0
    for camera in _subdirs(data_dir / SNAPSHOT_DIR):
        for year in _subdirs(camera):
            for month in _subdirs(year):
                for day in _subdirs(month):
                    when = _day(year, month, day)
                    if when is None or when >= before:
                        continue
                    for file in day.iterdir():
                        if file.is_file():
                            file.unlink(missing_ok=True)
                            removed += 1
                    _rmdir(day)
                if _number(year) * 100 + _number(month) < before.year * 100 + before.month:
                    _rmdir(month)
            if _number(year) < before.year:
                _rmdir(year)
    return removed


def _rmdir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (or gone): kept
        path.rmdir()


def prune_history(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
) -> PruneSummary:
    """Delete check rows older than history_days and snapshots older than snapshot_days."""
    health = settings.health
    history_before = now - timedelta(days=health.history_days)
    snapshots_before = now - timedelta(days=health.snapshot_days)
    rows = cleared = files = batches = 0
    last = 0
    while (batch := _delete_batch(session_factory, history_before, last, batch_size)) is not None:
        count, paths, last = batch
        batches += 1
        rows += count
        files += _remove_files(settings.data_dir, paths)
    last = 0
    while (batch := _clear_batch(session_factory, snapshots_before, last, batch_size)) is not None:
        count, paths, last = batch
        batches += 1
        cleared += count
        files += _remove_files(settings.data_dir, paths)
    files += _sweep_old_days(settings.data_dir, snapshots_before.date() - timedelta(days=1))
    summary = PruneSummary(rows, cleared, files, batches, history_before, snapshots_before)
    if rows or cleared or files:
        log.info(
            "health prune: %d check rows deleted, %d snapshots dropped, %d files removed",
            rows,
            cleared,
            files,
        )
    return summary
