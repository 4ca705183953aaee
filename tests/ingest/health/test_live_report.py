"""Live reports: facts of a streamed camera become LIVE results, throttled, at once on a flip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.health.live_report import LiveReporter, LiveStatus, reason_of
from ingest.health.vocabulary import CheckTier, Reason

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _feed(status: LiveStatus, start: float, seconds: float, fps: float = 10.0) -> None:
    for i in range(int(seconds * fps)):
        status.frame(_at(start + i / fps))


def test_frame_rate_is_measured_between_reports() -> None:
    status = LiveStatus()
    _feed(status, 0.0, 10.0, fps=10.0)
    facts = status.facts(_at(10.0))
    assert facts.fps == 10.0
    assert facts.last_frame_at == _at(9.9)
    _feed(status, 10.0, 10.0, fps=5.0)
    assert status.facts(_at(20.0)).fps == 5.0


def test_stream_failures_map_to_the_vocabulary() -> None:
    assert reason_of("Connection timed out") is Reason.TIMEOUT
    assert reason_of("authentication failed (401 Unauthorized)") is Reason.AUTH_FAILED
    assert reason_of("credentials cannot be decrypted with this key") is Reason.AUTH_FAILED
    assert reason_of("stream lost: no decodable video (no keyframe for 31 s)") is (
        Reason.SERVER_ERROR
    )
    assert reason_of("Connection refused") is Reason.UNREACHABLE


def test_reports_are_throttled_but_a_lost_stream_is_reported_at_once() -> None:
    reporter = LiveReporter(report_s=30.0, stale_s=20.0)
    status = LiveStatus()
    streams = [(7, "LIVE", status)]
    assert reporter.collect(streams, _at(0)) == []  # nothing known yet
    _feed(status, 0.0, 5.0)
    (first,) = reporter.collect(streams, _at(5))
    assert (first.tier, first.reasons, first.checked_at) == (CheckTier.LIVE, (), _at(5))
    assert first.details["fps"] == 10.0
    assert first.details["valid_s"] == 90.0
    _feed(status, 5.0, 5.0)
    assert reporter.collect(streams, _at(10)) == []  # within 30 s of the last good report
    status.lost("Connection refused", _at(11))
    (lost,) = reporter.collect(streams, _at(12))
    assert lost.reasons == (Reason.UNREACHABLE,)
    assert lost.message == "Connection refused"
    _feed(status, 13.0, 2.0)
    (back,) = reporter.collect(streams, _at(15))
    assert back.reasons == ()


def test_a_stream_without_frames_for_too_long_is_reported_as_timed_out() -> None:
    reporter = LiveReporter(report_s=30.0, stale_s=20.0)
    status = LiveStatus()
    _feed(status, 0.0, 1.0)
    assert reporter.collect([(7, "LIVE", status)], _at(1))[0].reasons == ()
    (stale,) = reporter.collect([(7, "LIVE", status)], _at(25))
    assert stale.reasons == (Reason.TIMEOUT,)
    assert stale.message == "no frame for 24 s"  # the last frame came at 0.9 s
