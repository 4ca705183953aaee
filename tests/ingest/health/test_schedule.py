"""Due times spread over the period, first-sight records, and leases claimed in the database."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.db.unit_of_work import unit_of_work
from config.settings import HealthSettings
from ingest.health import schedule
from ingest.health.model import CameraHealth, HealthInterval
from ingest.health.schedule import (
    Claim,
    claim_due,
    claim_now,
    ensure_health_rows,
    next_slot,
    phase_s,
)
from ingest.health.vocabulary import CheckTier, HealthState
from tests.builders import make_camera

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
URL = "rtsp://127.0.0.1:1/x"
SETTINGS = HealthSettings()
REACH = CheckTier.REACHABILITY
PICTURE = CheckTier.PICTURE


@given(
    st.integers(1, 10**7),
    st.floats(5.0, 86_400.0),
    # Hypothesis takes naive bounds and adds the zone.
    st.datetimes(
        min_value=datetime(2001, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_next_slot_is_within_one_period_and_on_the_cameras_phase(
    camera_id: int, period: float, after: datetime
) -> None:
    slot = next_slot(camera_id, period, after)
    assert after < slot <= after + timedelta(seconds=period * 1.0001)
    # The same slot again from any time just before it: the phase never drifts.
    assert next_slot(camera_id, period, slot - timedelta(seconds=period / 2)) == slot


def test_1611_cameras_are_spread_evenly_over_the_period() -> None:
    period = 120.0
    seconds = Counter(int(phase_s(camera_id, period)) for camera_id in range(1, 1612))
    # 1,611 checks over 120 s is 13.4 a second; never a burst of several seconds' worth.
    assert len(seconds) == 120
    assert max(seconds.values()) <= 16


def _cameras(factory: sessionmaker[Session], n: int = 3) -> list[int]:
    with unit_of_work(factory) as s:
        ids = [make_camera(s, code=f"C{i}", status="active", stream_url=URL).id for i in range(n)]
        make_camera(s, code="FIX", status="maintenance", stream_url=URL)
        make_camera(s, code="PLAN", status="planned", stream_url=URL)
        make_camera(s, code="NOURL", status="active")
    return ids


def test_first_sight_creates_unknown_records_due_within_a_period(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule, "_INSERT_CHUNK", 3)  # several insert statements
    _cameras(session_factory)
    with unit_of_work(session_factory) as s:
        assert ensure_health_rows(s, settings=SETTINGS, now=T0) == 4
        assert ensure_health_rows(s, settings=SETTINGS, now=T0) == 0
    with unit_of_work(session_factory) as s:
        rows = list(s.scalars(select(CameraHealth)))
        intervals = list(s.scalars(select(HealthInterval)))
    assert {r.state for r in rows} == {HealthState.UNKNOWN}
    for row in rows:
        assert row.reachability_due_at is not None
        assert row.picture_due_at is not None
        assert T0 < row.reachability_due_at <= T0 + timedelta(seconds=120)
        assert T0 < row.picture_due_at <= T0 + timedelta(seconds=1800)
    assert len({r.reachability_due_at for r in rows}) == 4
    assert sorted((i.camera_id, i.state, i.start, i.end) for i in intervals) == sorted(
        (r.camera_id, HealthState.UNKNOWN, T0, None) for r in rows
    )


def test_claim_due_takes_due_free_not_live_cameras_and_bumps_the_fence(
    session_factory: sessionmaker[Session],
) -> None:
    a, b, c = _cameras(session_factory)
    later = T0 + timedelta(seconds=200)
    with unit_of_work(session_factory) as s:
        ensure_health_rows(s, settings=SETTINGS, now=T0)
        live = s.get(CameraHealth, c)
        assert live is not None
        live.live_owner, live.live_until = "w-live", later + timedelta(hours=1)
    with unit_of_work(session_factory) as s:
        first = claim_due(s, tier=REACH, owner="w1", now=later, limit=10, lease_s=30)
    assert {cl.camera_id for cl in first} >= {a, b}
    assert c not in {cl.camera_id for cl in first}
    assert all(cl.fence == 1 for cl in first)
    with unit_of_work(session_factory) as s:
        assert claim_due(s, tier=REACH, owner="w2", now=later, limit=10, lease_s=30) == []
        # Once the lease ran out, another checker may take the camera: the fence moves on.
        again = claim_due(
            s, tier=REACH, owner="w2", now=later + timedelta(seconds=31), limit=1, lease_s=30
        )
    assert len(again) == 1
    assert again[0].fence == 2
    # Frames arriving do not prove the picture is fine: the live camera's picture is judged.
    with unit_of_work(session_factory) as s:
        pictures = claim_due(
            s,
            tier=PICTURE,
            owner="w1",
            now=T0 + timedelta(seconds=SETTINGS.picture_interval_s),  # every slot is due
            limit=10,
            lease_s=30,
        )
    assert c in {cl.camera_id for cl in pictures}


def test_claim_now_ignores_due_times_but_respects_leases(
    session_factory: sessionmaker[Session],
) -> None:
    a, b, _ = _cameras(session_factory)
    with unit_of_work(session_factory) as s:
        ensure_health_rows(s, settings=SETTINGS, now=T0)
        held = claim_now(s, camera_ids=[a], owner="w1", now=T0, lease_s=60)
    assert [cl.camera_id for cl in held[0]] == [a]
    with unit_of_work(session_factory) as s:
        claims, busy = claim_now(s, camera_ids=[a, b], owner="cli", now=T0, lease_s=60)
    assert [cl.camera_id for cl in claims] == [b]
    assert busy == {a: "w1"}


def test_concurrent_claimers_never_share_a_camera(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        for i in range(40):
            make_camera(s, code=f"K{i:02d}", status="active", stream_url=URL)
        ensure_health_rows(s, settings=SETTINGS, now=T0)
    now = T0 + timedelta(seconds=1000)
    taken: list[list[Claim]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer(owner: str) -> None:
        try:
            for _ in range(10):
                with unit_of_work(session_factory) as s:
                    got = claim_due(s, tier=REACH, owner=owner, now=now, limit=3, lease_s=60)
                with lock:
                    taken.append(got)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    ids = [cl.camera_id for batch in taken for cl in batch]
    assert len(ids) == len(set(ids)) == 40
