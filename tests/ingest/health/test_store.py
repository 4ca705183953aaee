"""Storing results: history, debounced state, intervals, snapshots, fencing, alerts, silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from config.settings import HealthSettings
from ingest.health.model import AlertDelivery, CameraHealth, HealthCheck, HealthInterval
from ingest.health.results import CheckResult
from ingest.health.schedule import Claim, claim_due, claim_now, ensure_health_rows, next_slot
from ingest.health.store import Stored, record_results
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.builders import make_camera

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SETTINGS = HealthSettings(mqtt_url="mqtt://127.0.0.1:1883")
REACH, PIC = CheckTier.REACHABILITY, CheckTier.PICTURE
JPEG = b"\xff\xd8\xff\xe0 not really a picture \xff\xd9"


def _camera(factory: sessionmaker[Session], code: str = "VT-1") -> int:
    with unit_of_work(factory) as s:
        camera_id = make_camera(
            s, code=code, status="active", stream_url="rtsp://127.0.0.1:1/x", ward_code="26506"
        ).id
        ensure_health_rows(s, settings=SETTINGS, now=T0, camera_ids=[camera_id])
    return camera_id


def _result(
    camera_id: int, tier: CheckTier, minute: float, *reasons: Reason, jpeg: bytes | None = None
) -> CheckResult:
    return CheckResult(
        camera_id,
        "VT-1",
        tier,
        T0 + timedelta(minutes=minute),
        tuple(reasons),
        latency_ms=12.5,
        details={"rtsp_status": 200},
        message="ok",
        snapshot_jpeg=jpeg,
    )


def _store(
    factory: sessionmaker[Session],
    results: list[CheckResult],
    data_dir: Path,
    claims: dict[int, Claim] | None = None,
) -> list[Stored]:
    now = max(r.checked_at for r in results)
    with unit_of_work(factory) as s:
        return record_results(
            s, results, settings=SETTINGS, worker="w1", data_dir=data_dir, now=now, claims=claims
        )


def _intervals(
    factory: sessionmaker[Session],
) -> list[tuple[str, list[str], datetime, datetime | None]]:
    with unit_of_work(factory) as s:
        rows = s.scalars(select(HealthInterval).order_by(HealthInterval.start, HealthInterval.id))
        return [(r.state.value, r.reasons, r.start, r.end) for r in rows]


def _minute(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def test_results_are_stored_debounced_and_kept_as_intervals(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    stored = _store(
        session_factory,
        [
            _result(cam, REACH, 1),
            _result(cam, REACH, 3, Reason.TIMEOUT),
            _result(cam, REACH, 5, Reason.UNREACHABLE),
            _result(cam, REACH, 7),
        ],
        tmp_path,
    )
    assert [s.stored_state for s in stored] == [
        HealthState.ONLINE,
        HealthState.ONLINE,
        HealthState.OFFLINE,
        HealthState.ONLINE,
    ]
    assert [s.change is not None for s in stored] == [True, False, True, True]
    offline = stored[2].change
    assert offline is not None
    assert (offline.previous, offline.current, offline.ward_code) == (
        HealthState.ONLINE,
        HealthState.OFFLINE,
        "26506",
    )
    assert offline.incident_started_at == _minute(5)
    recovery = stored[3].change
    assert recovery is not None
    # A recovery carries the incident it ends, so alerts can say how long it lasted.
    assert recovery.incident_started_at == _minute(5)
    assert _intervals(session_factory) == [
        ("unknown", [], T0, _minute(1)),
        ("online", [], _minute(1), _minute(5)),
        ("offline", ["unreachable"], _minute(5), _minute(7)),
        ("online", [], _minute(7), None),
    ]
    with unit_of_work(session_factory) as s:
        checks = list(s.scalars(select(HealthCheck).order_by(HealthCheck.checked_at)))
        row = s.get(CameraHealth, cam)
        assert row is not None
        assert (row.state, row.since, row.incident_started_at) == (
            HealthState.ONLINE,
            _minute(7),
            None,
        )
        assert row.last_reachability_at == _minute(7)
        # Alerts were written in the same transaction: one MQTT message per change.
        deliveries = list(s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))
    assert [c.reasons for c in checks] == [[], ["timeout"], ["unreachable"], []]
    assert {c.worker for c in checks} == {"w1"}
    assert [d.payload.get("state") for d in deliveries if d.state.value == "pending"] == ["online"]
    assert len(deliveries) == 3


def test_reasons_seen_later_in_the_same_state_join_its_interval(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    _store(
        session_factory,
        [
            _result(cam, REACH, 1, Reason.TIMEOUT),
            _result(cam, REACH, 2, Reason.TIMEOUT),
            _result(cam, REACH, 3, Reason.AUTH_FAILED),
        ],
        tmp_path,
    )
    assert _intervals(session_factory)[-1] == (
        "offline",
        ["timeout", "auth_failed"],
        _minute(2),
        None,
    )


def test_snapshots_are_written_under_the_data_folder_and_removed_on_rollback(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    stored = _store(session_factory, [_result(cam, PIC, 1, Reason.BLACK, jpeg=JPEG)], tmp_path)
    with unit_of_work(session_factory) as s:
        check = s.get(HealthCheck, stored[0].check_id)
        assert check is not None
        path = check.snapshot_path
    assert path is not None
    assert path.startswith("health/snapshots/VT-1/2026/03/01/")
    assert (tmp_path / path).read_bytes() == JPEG
    assert stored[0].stored_state is HealthState.DEGRADED

    def store_then_fail() -> None:
        with unit_of_work(session_factory) as s:
            record_results(
                s,
                [_result(cam, PIC, 2, jpeg=JPEG)],
                settings=SETTINGS,
                worker="w1",
                data_dir=tmp_path,
                now=_minute(2),
            )
            assert len(list(tmp_path.rglob("*.jpg"))) == 2
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store_then_fail()
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.jpg"))
    assert files == [path]


def test_results_of_a_lease_taken_over_are_discarded(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    due = next_slot(cam, SETTINGS.reachability_interval_s, T0)
    with unit_of_work(session_factory) as s:
        (old,) = claim_due(s, tier=REACH, owner="slow", now=due, limit=1, lease_s=10)
    with unit_of_work(session_factory) as s:
        (new,) = claim_now(
            s, camera_ids=[cam], owner="fast", now=due + timedelta(seconds=11), lease_s=10
        )[0]
    assert new.fence == old.fence + 1
    late = _store(
        session_factory, [_result(cam, REACH, 5, Reason.TIMEOUT)], tmp_path, claims={cam: old}
    )
    assert late[0].check_id is None
    fresh = _store(session_factory, [_result(cam, REACH, 6)], tmp_path, claims={cam: new})
    assert fresh[0].stored_state is HealthState.ONLINE
    with unit_of_work(session_factory) as s:
        assert s.scalars(select(HealthCheck.reasons)).all() == [[]]
        row = s.get(CameraHealth, cam)
        assert row is not None
        # Storing released the lease and set the next due time from the camera's phase.
        assert (row.lease_owner, row.lease_until) == (None, None)
        assert row.reachability_due_at == next_slot(
            cam, SETTINGS.reachability_interval_s, _minute(6)
        )


def test_a_camera_unchecked_for_too_long_is_unknown_for_that_time(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    _store(session_factory, [_result(cam, REACH, 1)], tmp_path)
    # Three periods of 2 minutes is the limit: a result 7 minutes later is within it.
    _store(session_factory, [_result(cam, REACH, 7)], tmp_path)
    assert [i[0] for i in _intervals(session_factory)] == ["unknown", "online"]
    # 20 minutes of silence: the state held for three periods after the last check, then unknown
    # (the rule the read side applies to open intervals).
    stored = _store(session_factory, [_result(cam, REACH, 27, Reason.TIMEOUT)], tmp_path)
    assert stored[0].stored_state is HealthState.UNKNOWN
    stored = _store(session_factory, [_result(cam, REACH, 29, Reason.TIMEOUT)], tmp_path)
    assert stored[0].stored_state is HealthState.OFFLINE
    assert _intervals(session_factory)[1:] == [
        ("online", [], _minute(1), _minute(13)),
        ("unknown", [], _minute(13), _minute(29)),
        ("offline", ["timeout"], _minute(29), None),
    ]


def test_live_reports_mark_the_camera_live(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    cam = _camera(session_factory)
    frame_at = _minute(1) - timedelta(seconds=0.2)
    live = CheckResult(
        cam,
        "VT-1",
        CheckTier.LIVE,
        _minute(1),
        details={"last_frame_at": frame_at.isoformat(), "fps": 9.5, "valid_s": 60.0},
    )
    _store(session_factory, [live], tmp_path)
    with unit_of_work(session_factory) as s:
        row = s.get(CameraHealth, cam)
        assert row is not None
        assert (row.state, row.live_owner, row.last_frame_at, row.live_fps) == (
            HealthState.ONLINE,
            "w1",
            frame_at,
            9.5,
        )
        assert row.live_until == _minute(2)
