"""Reference pictures: copied from a snapshot, recorded in the change log, cleared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor
from camera_registry.changelog.model import ChangeRecord
from camera_registry.errors import InvalidInput, NotFound, PermissionDenied
from ingest.health.model import CameraHealth
from ingest.health.reference import clear_reference, set_reference
from ingest.health.vocabulary import CheckTier, HealthState
from tests.builders import make_camera
from tests.health_builders import jpeg, make_check, make_health

NOW = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
TECH = Actor(name="tech", role=Role.TECHNICIAN)


def test_set_from_latest_snapshot_then_from_a_chosen_one_then_clear(
    session: Session, tmp_path: Path
) -> None:
    cam = make_camera(session, code="CAM")
    make_health(session, cam, state=HealthState.ONLINE, since=NOW, checked_at=NOW)
    old = make_check(
        session,
        cam,
        at=NOW - timedelta(hours=1),
        tier=CheckTier.PICTURE,
        snapshot=jpeg((0, 0, 255)),
        data_dir=tmp_path,
    )
    latest = make_check(
        session, cam, at=NOW, tier=CheckTier.PICTURE, snapshot=jpeg((0, 255, 0)), data_dir=tmp_path
    )
    make_check(session, cam, at=NOW + timedelta(minutes=1))  # reachability, no snapshot

    read = set_reference(session, code="CAM", actor=TECH, data_dir=tmp_path, now=NOW)
    target = tmp_path / "health" / "references" / "CAM.jpg"
    assert read.check_id == latest.id
    assert read.path == "health/references/CAM.jpg"
    assert read.set_by == "tech"
    assert target.read_bytes() == (tmp_path / str(latest.snapshot_path)).read_bytes()

    set_reference(session, code="CAM", actor=TECH, data_dir=tmp_path, check_id=old.id, now=NOW)
    assert target.read_bytes() == (tmp_path / str(old.snapshot_path)).read_bytes()
    row = session.get(CameraHealth, cam.id)
    assert row is not None
    assert row.reference_path == "health/references/CAM.jpg"
    assert row.reference_set_at == NOW

    cleared = clear_reference(session, code="CAM", actor=TECH, data_dir=tmp_path)
    assert not cleared.has_reference
    assert not target.exists()
    changes = session.scalars(
        select(ChangeRecord).where(ChangeRecord.entity == "camera_health").order_by(ChangeRecord.id)
    ).all()
    assert [c.action for c in changes] == [
        "health.reference.set",
        "health.reference.set",
        "health.reference.clear",
    ]
    assert changes[1].after is not None
    assert changes[1].after["check_id"] == old.id
    with pytest.raises(NotFound, match="no reference"):
        clear_reference(session, code="CAM", actor=TECH, data_dir=tmp_path)


def test_refusals(session: Session, tmp_path: Path) -> None:
    cam = make_camera(session, code="CAM")
    other = make_camera(session, code="OTHER")
    with pytest.raises(NotFound, match="no snapshot yet"):
        set_reference(session, code="CAM", actor=TECH, data_dir=tmp_path)
    foreign = make_check(
        session, other, at=NOW, tier=CheckTier.PICTURE, snapshot=jpeg(), data_dir=tmp_path
    )
    with pytest.raises(InvalidInput, match="belongs to camera OTHER"):
        set_reference(session, code="CAM", actor=TECH, data_dir=tmp_path, check_id=foreign.id)
    reach = make_check(session, cam, at=NOW)
    with pytest.raises(InvalidInput, match="has no snapshot"):
        set_reference(session, code="CAM", actor=TECH, data_dir=tmp_path, check_id=reach.id)
    investigator = Actor(name="inv", role=Role.INVESTIGATOR)
    with pytest.raises(PermissionDenied):
        set_reference(session, code="OTHER", actor=investigator, data_dir=tmp_path)
    # A snapshot without a health row (storage lost it): the row is made for the reference.
    read = set_reference(session, code="OTHER", actor=TECH, data_dir=tmp_path)
    assert read.has_reference
    row = session.get(CameraHealth, other.id)
    assert row is not None
    assert row.state == HealthState.UNKNOWN
