"""Event search benchmark: area + 24 h queries over millions of generated motion events.

Seeds the 1,611 sample cameras, bulk-loads N events (default 10 million) spread over 60 days,
then times `search_events` (what the API and CLI run) for random places with 24-hour windows,
on SQLite and PostgreSQL, reporting p50/p95 and answer sizes. It also measures the insert rate
of the pipeline's own upsert path and of the bulk loader, side by side. Checks free disk first.
Run with `make bench` or `.venv/bin/python -m benchmarks.bench_event_search --events 1000000`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.heap import freeze_startup_heap
from benchmarks.bench_registry import _database, _pct
from camera_registry.actor import Actor, cli_actor
from camera_registry.area.service import import_areas
from camera_registry.camera.model import Camera
from camera_registry.camera.write import WriteContext
from camera_registry.db.engine import make_session_factory
from camera_registry.db.migrate import upgrade
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.transfer.service import TransferFormat, import_cameras
from ingest.events.model import MotionEvent
from ingest.events.schema import EventQuery
from ingest.events.search import search_events
from ingest.motion.base import Box
from ingest.motion.draft import EventDraft
from ingest.pipeline.store import upsert_event

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DAYS = 60
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)
MAX_EVENT_S = 600
BYTES_PER_EVENT = 450  # measured roughly: row, primary key and two indexes


def _seed_cameras(factory: sessionmaker[Session]) -> list[tuple[int, str]]:
    actor = cli_actor()
    with unit_of_work(factory) as session:
        import_areas(session, document=(SAMPLES / "areas.geojson").read_bytes(), actor=actor)
        import_cameras(
            session,
            content=(SAMPLES / "cameras.csv").read_bytes(),
            fmt=TransferFormat.CSV,
            actor=actor,
            ctx=WriteContext(cipher=None),
        )
    with unit_of_work(factory) as session:
        return [(i, c) for i, c in session.execute(select(Camera.id, Camera.code)).all()]


def _event_rows(
    cameras: list[tuple[int, str]], count: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    per_camera = max(1, count // len(cameras))
    span = DAYS * 86_400
    now = datetime.now(UTC)
    for cam_id, code in cameras:
        starts = sorted(round(rng.uniform(0, span), 3) for _ in range(per_camera))
        # Ids follow from camera and start, so one camera's starts must differ (by 1 ms at least).
        for i in range(1, len(starts)):
            starts[i] = max(starts[i], round(starts[i - 1] + 0.001, 3))
        for offset in starts:
            start = EPOCH + timedelta(seconds=round(offset, 3))
            duration = min(MAX_EVENT_S, rng.expovariate(1 / 20) + 1)
            yield {
                "id": f"{code}@{start:%Y%m%dT%H%M%S}.{start.microsecond // 1000:03d}Z",
                "camera_id": cam_id,
                "start": start,
                "end": start + timedelta(seconds=duration),
                "peak_score": rng.random(),
                "mean_score": rng.random() / 2,
                "area_fraction": rng.random() / 5,
                "box_x0": 0.1,
                "box_y0": 0.2,
                "box_x1": 0.4,
                "box_y1": 0.6,
                "zones": [],
                "grid_mask": f"{rng.getrandbits(144):036x}",
                "track": [],
                "thumbnail_path": None,
                "footage_ids": [],
                "source": "file",
                "created_at": now,
            }


_COLUMNS = [c.name for c in MotionEvent.__table__.columns]


def _stamp(value: datetime) -> str:
    # The text both drivers accept for a UTC timestamp (SQLAlchemy's SQLite storage format).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _flat(row: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for name in _COLUMNS:
        value = row[name]
        if isinstance(value, datetime):
            value = _stamp(value)
        elif isinstance(value, list):
            value = json.dumps(value)
        out.append(value)
    return tuple(out)


def _bulk_load(engine: Engine, rows: Iterator[dict[str, Any]]) -> tuple[int, float]:
    """Load rows with each driver's fastest path (COPY; executemany), bypassing the ORM."""
    started, loaded = time.perf_counter(), 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{c}"' for c in _COLUMNS)
            with cursor.copy(f"COPY motion_events ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_flat(row))
                    loaded += 1
        else:
            marks = ", ".join("?" for _ in _COLUMNS)
            names = ", ".join(_COLUMNS)
            statement = f"INSERT INTO motion_events ({names}) VALUES ({marks})"  # noqa: S608
            cursor.execute("BEGIN")
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(_flat(row))
                if len(batch) == 50_000:
                    cursor.executemany(statement, batch)
                    loaded += len(batch)
                    batch = []
            cursor.executemany(statement, batch)
            loaded += len(batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return loaded, time.perf_counter() - started


def _upsert_rate(factory: sessionmaker[Session], cameras: list[tuple[int, str]], n: int) -> float:
    """Insert n events through the pipeline's own upsert (what ingest runs), in batches of 500."""
    rng = random.Random(5)
    started = time.perf_counter()
    now = datetime.now(UTC)
    for first in range(0, n, 500):
        with unit_of_work(factory) as session:
            for _ in range(min(500, n - first)):
                cam_id, code = rng.choice(cameras)
                start = EPOCH + timedelta(days=DAYS + 1, seconds=rng.uniform(0, 86_400))
                draft = EventDraft(
                    start=start,
                    end=start + timedelta(seconds=12),
                    peak_score=0.8,
                    mean_score=0.4,
                    area_fraction=0.05,
                    box=Box(0.1, 0.1, 0.3, 0.3),
                    zones=frozenset(),
                    grid=rng.getrandbits(144),
                    track=(),
                    thumbnail_jpeg=b"",
                )
                upsert_event(
                    session,
                    camera_id=cam_id,
                    camera_code=code,
                    draft=draft,
                    footage_ids=[],
                    thumbnail=None,
                    source="file",
                    now=now,
                )
    return n / (time.perf_counter() - started)


def _queries(factory: sessionmaker[Session], repeats: int, radius_m: float) -> dict[str, Any]:
    rng = random.Random(11)
    actor = Actor(name="bench", role=cli_actor().role)
    freeze_startup_heap()  # as `camreg serve` does before it answers requests
    times, sizes = [], []
    for _ in range(repeats):
        day = EPOCH + timedelta(days=rng.randrange(DAYS - 1), hours=rng.randrange(24))
        lat, lon = rng.gauss(10.348, 0.01), rng.gauss(107.080, 0.01)
        query = EventQuery(
            start=day, end=day + timedelta(hours=24), near=(lat, lon), radius_m=radius_m, limit=500
        )
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            result = search_events(
                session,
                query=query,
                actor=actor,
                max_window_hours=72,
                max_event_seconds=MAX_EVENT_S,
            )
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(result.events))
    return {
        "p50_ms": _pct(times, 0.5),
        "p95_ms": _pct(times, 0.95),
        "answer_median": statistics.median(sizes),
        "answer_max": max(sizes),
    }


def run(events: int, backends: list[str], repeats: int) -> list[dict[str, Any]]:
    """Load and query each backend; return result rows."""
    need_gb = events * BYTES_PER_EVENT * 1.5 / 1e9
    free_gb = shutil.disk_usage(tempfile.gettempdir()).free / 1e9
    if free_gb < need_gb:
        raise SystemExit(
            f"need about {need_gb:.1f} GB free for {events:,} events, have {free_gb:.1f}"
        )
    results = []
    for backend in backends:
        with _database(backend) as engine:
            upgrade(engine)
            factory = make_session_factory(engine)
            cameras = _seed_cameras(factory)
            loaded, load_s = _bulk_load(engine, _event_rows(cameras, events, random.Random(3)))
            upsert_rate = _upsert_rate(factory, cameras, 5000)
            row: dict[str, Any] = {
                "backend": backend,
                "events": loaded,
                "bulk_rate": loaded / load_s,
                "upsert_rate": upsert_rate,
            }
            for radius in (150, 400):
                row[f"r{radius}"] = _queries(factory, repeats, radius)
            print(row, flush=True)
            results.append(row)
    return results


def main() -> None:
    """Parse options, run, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    results = run(args.events, args.backends.split(","), args.repeats)
    lines = [
        "| database | events | bulk load rows/s | pipeline upsert rows/s | query "
        "| p50 ms | p95 ms | answer median | answer max |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for radius in (150, 400):
            q = r[f"r{radius}"]
            lines.append(
                f"| {r['backend']} | {r['events']:,} | {r['bulk_rate']:,.0f} | "
                f"{r['upsert_rate']:,.0f} | {radius} m circle + 24 h (limit 500) | "
                f"{q['p50_ms']:.1f} | {q['p95_ms']:.1f} | {q['answer_median']:.0f} | "
                f"{q['answer_max']} |"
            )
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
