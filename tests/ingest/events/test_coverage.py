"""Coverage: recorded spans, known gaps and unknown time, cut to the window."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.account.role import Role
from camera_registry.actor import Actor
from camera_registry.audit.model import AuditEntry
from ingest.events.coverage import Interval, merge, timeline
from ingest.events.model import CoverageKind
from ingest.events.schema import EventQuery, SpanKind
from ingest.events.search import camera_coverage, coverage
from tests.builders import make_camera
from tests.ingest.events.builders import at, make_coverage

ACTOR = Actor(name="inv", role=Role.INVESTIGATOR, case_number="HS-7")


def test_merge_joins_overlapping_and_touching_intervals() -> None:
    merged = merge([Interval(at(5), at(8)), Interval(at(0), at(2)), Interval(at(2), at(3))])
    assert merged == [Interval(at(0), at(3)), Interval(at(5), at(8))]


def test_timeline_has_recorded_gap_and_unknown_spans() -> None:
    read = timeline(
        code="C",
        name="c",
        recorded=[Interval(at(-10), at(30)), Interval(at(20), at(40))],
        gaps=[Interval(at(35), at(60), "offline"), Interval(at(200), at(300))],
        start=at(0),
        end=at(100),
    )
    kinds = [(s.kind, s.start, s.end, s.reason) for s in read.spans]
    assert kinds == [
        (SpanKind.RECORDED, at(0), at(40), None),
        (SpanKind.GAP, at(40), at(60), "offline"),
        (SpanKind.UNKNOWN, at(60), at(100), None),
    ]
    assert (read.recorded_s, read.gap_s, read.unknown_s) == (2400, 1200, 2400)
    assert read.covered_fraction == 0.4


def test_coverage_of_a_place_and_of_one_camera(session: Session) -> None:
    cam = make_camera(session, code="COV", lat=10.3460, lon=107.0846)
    make_camera(session, code="NONE", lat=10.3461, lon=107.0847)
    make_coverage(session, cam, start=at(-60), end=at(60))
    make_coverage(session, cam, start=at(60), end=at(90), kind=CoverageKind.GAP, reason="power")
    make_coverage(session, cam, start=at(200), end=at(260))  # after the window
    query = EventQuery(start=at(0), end=at(150), bbox=(107.0843, 10.3458, 107.0850, 10.3462))
    reads = coverage(session, query=query, actor=ACTOR, max_window_hours=24)
    by_code = {r.camera: r for r in reads}
    assert [s.kind for s in by_code["COV"].spans] == [
        SpanKind.RECORDED,
        SpanKind.GAP,
        SpanKind.UNKNOWN,
    ]
    assert by_code["COV"].spans[1].reason == "power"
    assert [s.kind for s in by_code["NONE"].spans] == [SpanKind.UNKNOWN]
    one = camera_coverage(
        session, code="COV", start=at(0), end=at(30), actor=ACTOR, max_window_hours=24
    )
    assert one.covered_fraction == 1.0
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["coverage.search", "coverage.view"]
