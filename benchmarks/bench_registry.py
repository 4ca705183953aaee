"""Registry query benchmark: list and radius queries over 1,611 and 100,000 cameras.

For each database (SQLite file, PostgreSQL) and registry size it times the service-layer
queries (`search_cameras`, the same code the API and CLI run) and, in the same run, a plain
in-memory scan over the same cameras with shapely, and prints p50/p95 and their ratio.
Run with `make bench` (or `.venv/bin/python -m benchmarks.bench_registry --sizes 1611`).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.actor import cli_actor
from camera_registry.area.layer import AreaLayer
from camera_registry.area.service import import_areas
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.model import Camera, CameraTag
from camera_registry.camera.query import search_cameras
from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.migrate import upgrade
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.geo.distance import haversine_m
from camera_registry.geo.fov import fov_sector
from camera_registry.geo.polygon import to_geojson
from camera_registry.text import fold

ROOT = Path(__file__).resolve().parent.parent
AREAS = ROOT / "samples" / "areas.geojson"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BOX = (107.055, 10.325, 107.165, 10.445)  # west, south, east, north around Vũng Tàu
STATUSES = ["active"] * 8 + ["maintenance", "planned", "decommissioned"]
WORDS = ["Ba Cu", "Trưng Trắc", "Lê Lợi", "Thùy Vân", "Hạ Long", "Bình Giã", "Chợ Xóm Lưới"]


def _camera_rows(n: int, rng: random.Random) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        # Denser in the centre: mix a uniform spread with a cluster near Phường 1–5.
        if rng.random() < 0.6:
            lat, lon = rng.gauss(10.348, 0.008), rng.gauss(107.080, 0.008)
        else:
            lat, lon = rng.uniform(BOX[1], BOX[3]), rng.uniform(BOX[0], BOX[2])
        code = f"B-{i + 1:06d}"
        name = f"Camera {rng.choice(WORDS)} {i + 1}"
        row: dict[str, Any] = {
            "code": code,
            "name": name,
            "lat": lat,
            "lon": lon,
            "status": rng.choice(STATUSES),
            "fov_explicit": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "search_text": fold(f"{code} {name}"),
            "fov_geojson": None,
            "min_lon": lon,
            "max_lon": lon,
            "min_lat": lat,
            "max_lat": lat,
        }
        if rng.random() < 0.85:
            heading, angle, reach = rng.uniform(0, 360), rng.uniform(40, 110), rng.uniform(20, 80)
            sector = fov_sector(lat, lon, heading, angle, reach)
            west, south, east, north = sector.bounds
            row.update(
                heading_deg=heading,
                fov_deg=angle,
                range_m=reach,
                fov_geojson=json.dumps(to_geojson(sector)),
                min_lon=min(west, lon),
                min_lat=min(south, lat),
                max_lon=max(east, lon),
                max_lat=max(north, lat),
            )
        rows.append(row)
    return rows


@contextmanager
def _database(backend: str) -> Iterator[Engine]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            yield engine
            engine.dispose()
        return
    name = f"camreg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load(engine: Engine, rows: list[dict[str, Any]]) -> float:
    upgrade(engine)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        if AREAS.exists():
            import_areas(session, document=AREAS.read_text(encoding="utf-8"), actor=cli_actor())
            session.flush()
            layer = AreaLayer.load(session, datetime.now(UTC).date())
            for row in rows:
                hit = layer.containing(row["lat"], row["lon"])
                row["ward_code"] = hit.code if hit else None
        for start in range(0, len(rows), 5000):
            session.execute(insert(Camera), rows[start : start + 5000])
        ids = session.execute(text("SELECT id FROM cameras WHERE code LIKE '%0'")).scalars().all()
        session.execute(insert(CameraTag), [{"camera_id": i, "tag": "giao-lo"} for i in ids])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


class Scan:
    """The baseline: every camera in a Python list, tested one by one with shapely."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        from shapely.geometry import shape

        self.rows = sorted(rows, key=lambda r: r["code"])
        self.points = [Point(r["lon"], r["lat"]) for r in self.rows]
        self.views: list[BaseGeometry | None] = [
            shape(json.loads(r["fov_geojson"])) if r["fov_geojson"] else None for r in self.rows
        ]

    def list_page(self, limit: int) -> list[str]:
        return [r["code"] for r in self.rows[:limit]]

    def radius(self, lat: float, lon: float, radius_m: float) -> list[str]:
        hits = [
            (haversine_m(lat, lon, p.y, p.x), r["code"])
            for p, r in zip(self.points, self.rows, strict=True)
        ]
        return [code for d, code in sorted(h for h in hits if h[0] <= radius_m)]

    def text(self, term: str, limit: int) -> list[str]:
        folded = fold(term)
        return [r["code"] for r in self.rows if folded in r["search_text"]][:limit]

    def sees(self, lat: float, lon: float) -> list[str]:
        point = Point(lon, lat)
        return [
            r["code"]
            for r, v in zip(self.rows, self.views, strict=True)
            if v is not None and v.covers(point)
        ]


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


Point2 = tuple[float, float]


def _specs(
    scan: Scan,
) -> list[
    tuple[str, Callable[[Point2], dict[str, Any]], int | None, Callable[[Point2], list[str]]]
]:
    """Return (name, filter for a point, limit, the same query as an in-memory scan)."""
    return [
        ("list first 100", lambda p: {}, 100, lambda p: scan.list_page(100)),
        (
            "radius 300 m",
            lambda p: {"near": p, "radius_m": 300},
            None,
            lambda p: scan.radius(*p, 300),
        ),
        (
            "radius 2 km",
            lambda p: {"near": p, "radius_m": 2000},
            None,
            lambda p: scan.radius(*p, 2000),
        ),
        (
            "radius 2 km first 100",
            lambda p: {"near": p, "radius_m": 2000},
            100,
            lambda p: scan.radius(*p, 2000)[:100],
        ),
        (
            "text 'ba cu' first 100",
            lambda p: {"q": "ba cu"},
            100,
            lambda p: scan.text("ba cu", 100),
        ),
        ("sees point", lambda p: {"sees": p}, None, lambda p: scan.sees(*p)),
    ]


def _measure(
    factory: sessionmaker[Session], spec: Any, points: list[Point2]
) -> tuple[list[float], list[float]]:
    name, criteria, limit, scanner = spec
    actor = cli_actor()

    def db(point: Point2) -> list[str]:
        with unit_of_work(factory) as session:
            page = search_cameras(
                session, query=CameraFilter(**criteria(point)), actor=actor, limit=limit
            )
            return [m.camera.code for m in page.items]

    # Correctness first: the database and the scan must give the same answer.
    if db(points[0]) != scanner(points[0]):
        raise AssertionError(f"{name}: database and scan disagree")
    db_ms, scan_ms = [], []
    for point in points:
        started = time.perf_counter()
        db(point)
        db_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        scanner(point)
        scan_ms.append((time.perf_counter() - started) * 1000)
    return db_ms, scan_ms


def run(sizes: list[int], backends: list[str], repeats: int) -> list[dict[str, Any]]:
    """Run every query for every size and backend; return result rows."""
    results = []
    for size in sizes:
        rng = random.Random(size)
        rows = _camera_rows(size, rng)
        scan = Scan(rows)
        points = [(rng.gauss(10.348, 0.01), rng.gauss(107.080, 0.01)) for _ in range(repeats)]
        for backend in backends:
            with _database(backend) as engine:
                load_s = _load(engine, rows)
                factory = make_session_factory(engine)
                for spec in _specs(scan):
                    db_ms, scan_ms = _measure(factory, spec, points)
                    result: dict[str, Any] = {
                        "cameras": size,
                        "backend": backend,
                        "query": spec[0],
                        "p50_ms": _pct(db_ms, 0.5),
                        "p95_ms": _pct(db_ms, 0.95),
                        "scan_p50_ms": _pct(scan_ms, 0.5),
                        "scan_p95_ms": _pct(scan_ms, 0.95),
                        "load_s": load_s,
                    }
                    result["ratio_p50"] = result["p50_ms"] / max(result["scan_p50_ms"], 1e-3)
                    results.append(result)
                    print(_format(result), flush=True)
    return results


def _format(r: dict[str, Any]) -> str:
    return (
        f"{r['cameras']:>7} {r['backend']:<10} {r['query']:<24} p50 {r['p50_ms']:8.2f} ms  "
        f"p95 {r['p95_ms']:8.2f} ms | scan p50 {r['scan_p50_ms']:8.2f} ms  "
        f"p95 {r['scan_p95_ms']:8.2f} ms | db/scan {r['ratio_p50']:6.2f}"
    )


def main() -> None:
    """Parse options, run, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1611,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--markdown", type=Path, help="Write the table to this file too.")
    args = parser.parse_args()
    results = run([int(s) for s in args.sizes.split(",")], args.backends.split(","), args.repeats)
    lines = [
        "| cameras | database | query | p50 ms | p95 ms | scan p50 ms | scan p95 ms"
        " | db/scan (p50) |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['cameras']:,} | {r['backend']} | {r['query']} | {r['p50_ms']:.2f} | "
            f"{r['p95_ms']:.2f} | {r['scan_p50_ms']:.2f} | {r['scan_p95_ms']:.2f} | "
            f"{r['ratio_p50']:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
