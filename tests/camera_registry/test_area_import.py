"""Area import: reused codes, successions, dry runs, ward assignment, bad files, both databases."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.account.role import Role
from camera_registry.actor import Actor, Scope
from camera_registry.area.model import Area, AreaLevel
from camera_registry.area.service import import_areas, list_areas, read_area
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.ward_assignment import assign_missing_wards
from camera_registry.changelog.service import changes_of
from camera_registry.db.unit_of_work import unit_of_work
from camera_registry.errors import InvalidArea, PermissionDenied
from tests.builders import make_camera
from tests.camera_registry.test_transfer_support import square, stored, two_wards


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _reused_code() -> dict[str, Any]:
    """Phường 1 and Phường 2 (old) became Phường Vũng Tàu, which reuses Phường 1's code."""
    west, east = square(107.0, 10.3, 107.09, 10.4), square(107.09, 10.3, 107.2, 10.4)
    old = {"level": "ward", "parent_code": "747", "valid_to": "2025-06-30"}
    return {
        "type": "FeatureCollection",
        "features": [
            _feature(west, code="26506", name="Phường 1", replaced_by=["26506"], **old),
            _feature(east, code="26509", name="Phường 2", replaced_by="26506", **old),
            _feature(
                square(107.0, 10.3, 107.2, 10.4),
                code="26506",
                name="Phường  Vũng Tàu",
                parent_code="79",
                valid_from="2025-07-01",
            ),
        ],
    }


def test_reused_codes_are_told_apart_by_date(session: Session, actor: Actor) -> None:
    report = import_areas(session, document=_reused_code(), actor=actor)
    assert (report.created, report.successions, report.warnings) == (3, 2, [])
    today = read_area(session, code="26506")
    assert (today.name, today.official, today.valid_from) == (
        "Phường Vũng Tàu",
        True,
        date(2025, 7, 1),
    )
    assert today.replaces == ["26506", "26509"]
    old = read_area(session, code="26506", on=date(2024, 1, 1))
    assert (old.name, old.replaced_by, old.replaces) == ("Phường 1", ["26506"], [])
    assert [a.code for a in list_areas(session, on=date(2024, 1, 1))] == ["26506", "26509"]
    assert len(list_areas(session)) == 3
    assert list_areas(session, level=AreaLevel.DISTRICT) == []
    keys = [c.entity_key for c in changes_of(session, entity="area", key="26506@2025-07-01")]
    assert keys == ["26506@2025-07-01"]


def test_reimport_is_unchanged_and_a_change_is_logged(session: Session, actor: Actor) -> None:
    import_areas(session, document=_reused_code(), actor=actor)
    again = import_areas(session, document=_reused_code(), actor=actor)
    assert (again.created, again.updated, again.unchanged, again.successions) == (0, 0, 3, 0)
    renamed = copy.deepcopy(_reused_code())
    renamed["features"][1]["properties"]["name"] = "Phường Hai"
    report = import_areas(session, document=renamed, actor=actor)
    assert (report.updated, report.unchanged) == (1, 2)
    actions = [c.action for c in changes_of(session, entity="area", key="26509@start")]
    assert actions == ["create", "update"]


def test_cameras_without_a_ward_get_one_and_a_dry_run_counts_them(
    session_factory: sessionmaker[Session], actor: Actor
) -> None:
    with unit_of_work(session_factory) as session:
        make_camera(session, code="W", lat=10.35, lon=107.05)
        make_camera(session, code="E", lat=10.35, lon=107.15)
        make_camera(session, code="OUT", lat=10.5, lon=107.15)
    before = stored(session_factory)
    with unit_of_work(session_factory) as session:
        report = import_areas(session, document=two_wards(), actor=actor, dry_run=True)
    assert (report.dry_run, report.created, report.cameras_assigned) == (True, 2, 2)
    after = stored(session_factory)
    assert (after.versions, after.changes) == (before.versions, before.changes)
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0
        report = import_areas(session, document=two_wards(), actor=actor)
        assert report.cameras_assigned == 2
        cameras = CameraRepository(session).get_many(["W", "E", "OUT"])
        assert {c: cam.ward_code for c, cam in cameras.items()} == {
            "W": "26506",
            "E": "26526",
            "OUT": None,
        }
        actions = [c.action for c in changes_of(session, entity="camera", key="W")]
        assert actions == ["create", "update"]
        assert assign_missing_wards(session, actor=actor) == []


def test_ward_assignment_respects_the_scope(session: Session, actor: Actor) -> None:
    make_camera(session, code="MINE", lat=10.35, lon=107.05)
    make_camera(session, code="OTHER", lat=10.35, lon=107.06)
    scoped = Actor(name="t", role=Role.ADMIN, scope=Scope(camera_codes=frozenset({"MINE"})))
    import_areas(session, document=two_wards(), actor=scoped)
    cameras = CameraRepository(session).get_many(["MINE", "OTHER"])
    assert (cameras["MINE"].ward_code, cameras["OTHER"].ward_code) == ("26506", None)


def test_overlaps_and_unofficial_names_are_warnings(session: Session, actor: Actor) -> None:
    document = two_wards()
    document["features"][1]["geometry"] = square(107.05, 10.3, 107.2, 10.4)
    document["features"][1]["properties"]["name"] = "Tam Thang"
    report = import_areas(session, document=document, actor=actor)
    assert report.warnings == [
        "areas 26506 and 26526 overlap in the same period; cameras there get the smaller one",
        "area 26526: name 'Tam Thang' differs from the official 'Phường Tam Thắng'",
    ]


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[107.0, 10.3], [107.1, 10.4], [107.1, 10.3], [107.0, 10.4], [107.0, 10.3]]],
}
BAD_FEATURES = [
    (_feature(BOWTIE, code="X1", name="Bow"), "geometry", "not valid"),
    (_feature(square(10.3, 107.0, 10.4, 107.1), code="X2", name="Swap"), "geometry", "swapped"),
    (_feature(square(107.0, 10.3, 107.1, 10.4), code="X 3", name="Code"), "code", "not a code"),
    (_feature(square(107.0, 10.3, 107.1, 10.4), code="X4", name="D", valid_to="30/06/2025"),
     "valid_to", "not a date"),
    (_feature(square(107.0, 10.3, 107.1, 10.4), code="X5", name="R", replaced_by=["X6"]),
     "replaced_by", "needs valid_to"),
    (_feature(square(107.0, 10.3, 107.1, 10.4), code="X7", name="L", level="city"), "level",
     "must be one of"),
    (_feature(square(107.0, 10.3, 107.1, 10.4), code="26506", name="Dup", valid_from="2025-07-01"),
     "code", "appears twice"),
    ({"type": "Point"}, "type", "not a GeoJSON Feature"),
]  # fmt: skip


@pytest.mark.parametrize(("feature", "field", "message"), BAD_FEATURES)
def test_bad_features_are_named_and_nothing_is_stored(
    session_factory: sessionmaker[Session],
    actor: Actor,
    feature: dict[str, Any],
    field: str,
    message: str,
) -> None:
    document = two_wards()
    document["features"].append(feature)
    with pytest.raises(InvalidArea) as caught, unit_of_work(session_factory) as session:
        import_areas(session, document=document, actor=actor)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (3, field)
    assert message in problem.message
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
    ],
)
def test_files_that_are_not_area_files(
    session: Session, actor: Actor, document: Any, message: str
) -> None:
    with pytest.raises(InvalidArea, match=message):
        import_areas(session, document=document, actor=actor)


def test_only_area_writers_may_import(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        import_areas(session, document=two_wards(), actor=Actor(name="tech", role=Role.TECHNICIAN))
