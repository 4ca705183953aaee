"""The sample files: well-formed, plausible, reproducible, and importable on both databases."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.area.official import official_ward_name
from camera_registry.area.service import import_areas
from camera_registry.camera.model import Camera
from camera_registry.camera.write import WriteContext
from camera_registry.transfer.columns import CREDENTIAL_COLUMNS, EXPORT_COLUMNS
from camera_registry.transfer.service import TransferFormat, import_cameras

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
NEW_WARDS = {"26506", "26526", "26536", "26542", "26545"}


def _cameras() -> list[dict[str, str]]:
    text = (SAMPLES / "cameras.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _areas() -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(
        (SAMPLES / "areas.geojson").read_text(encoding="utf-8")
    )["features"]
    return features


def _current() -> dict[str, BaseGeometry]:
    return {
        f["properties"]["code"]: shape(f["geometry"])
        for f in _areas()
        if f["properties"].get("valid_from") == "2025-07-01"
    }


def test_cameras_file_has_1611_unique_codes_and_every_column_used() -> None:
    rows = _cameras()
    assert [r["code"] for r in rows] == [f"VT-{n:04d}" for n in range(1, 1612)]
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert not set(CREDENTIAL_COLUMNS) & set(rows[0])
    unused = [column for column in EXPORT_COLUMNS if not any(r[column] for r in rows)]
    assert unused == []
    urls = [r[c] for r in rows for c in ("stream_url", "sub_stream_url") if r[c]]
    assert all(url.split("/")[2].split(":")[0].endswith(".invalid") for url in urls)
    assert {r["status"] for r in rows} == {"active", "maintenance", "planned", "decommissioned"}


def test_cameras_stand_in_their_wards_densest_in_the_old_centre() -> None:
    current = _current()
    old = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in _areas()
        if f["properties"].get("valid_to")
    }
    old_centre = unary_union([old[c] for c in ("26506", "26509", "26512", "26515", "26518",
                                                 "26524", "26527", "26530")])  # fmt: skip
    rows = _cameras()
    in_centre = 0
    for row in rows:
        point = Point(float(row["lon"]), float(row["lat"]))
        containing = [code for code, ward in current.items() if ward.contains(point)]
        assert len(containing) == 1, row["code"]
        assert row["ward_code"] in ("", containing[0]), row["code"]
        in_centre += old_centre.contains(point)
    empty = sum(1 for r in rows if not r["ward_code"])
    assert 0.02 * len(rows) < empty < 0.08 * len(rows)
    assert in_centre > 0.5 * len(rows)


def test_areas_are_valid_partitions_of_each_period() -> None:
    features = _areas()
    assert len(features) == 22
    periods: dict[str, list[tuple[str, BaseGeometry]]] = {"new": [], "old": []}
    for feature in features:
        props, geometry = feature["properties"], shape(feature["geometry"])
        assert geometry.is_valid, props["code"]
        assert props["level"] == "ward"
        period = "new" if props.get("valid_from") == "2025-07-01" else "old"
        if period == "new":
            assert props["parent_code"] == "79"
            assert props["name"] == official_ward_name(props["code"])
        else:
            assert (props["valid_to"], props["parent_code"]) == ("2025-06-30", "747")
            assert props["replaced_by"][0] in NEW_WARDS
        periods[period].append((props["code"], geometry))
    assert {code for code, _ in periods["new"]} == NEW_WARDS
    assert len(periods["old"]) == 17
    for members in periods.values():
        for (a, shape_a), (b, shape_b) in combinations(members, 2):
            assert shape_a.intersection(shape_b).area < 1e-9, (a, b)
    # Each new ward is exactly the union of the old wards it replaced.
    current = _current()
    for code, ward in current.items():
        olds = [
            shape(f["geometry"]) for f in features if code in f["properties"].get("replaced_by", [])
        ]
        assert unary_union(olds).symmetric_difference(ward).area < 1e-9, code


def test_generator_reproduces_the_files(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "generate_samples.py"
    subprocess.run([sys.executable, str(script), "--out-dir", str(tmp_path)], check=True)
    for name in ("areas.geojson", "cameras.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_both_samples_import(session: Session, actor: Actor, write_ctx: WriteContext) -> None:
    # Cameras first: the rows without a ward stay without until the areas arrive.
    report = import_cameras(
        session,
        content=(SAMPLES / "cameras.csv").read_bytes(),
        fmt=TransferFormat.CSV,
        actor=actor,
        ctx=write_ctx,
    )
    assert (len(report.created), report.updated, report.warnings) == (1611, [], [])
    areas = import_areas(session, document=(SAMPLES / "areas.geojson").read_bytes(), actor=actor)
    assert (areas.created, areas.successions, areas.warnings) == (22, 17, [])
    assert areas.cameras_assigned == sum(1 for r in _cameras() if not r["ward_code"])
    wards = Counter(session.scalars(select(Camera.ward_code)).all())
    assert set(wards) == NEW_WARDS
    assert sum(wards.values()) == 1611
