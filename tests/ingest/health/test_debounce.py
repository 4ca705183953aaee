"""Debounce rules, by example and as properties over random result sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.health.debounce import Debounced, Outcome, apply_result
from ingest.health.results import CheckResult
from ingest.health.vocabulary import (
    PICTURE_REASONS,
    REACHABILITY_REASONS,
    CheckTier,
    HealthState,
    Reason,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
REACH = CheckTier.REACHABILITY
PIC = CheckTier.PICTURE


def _result(tier: CheckTier, *reasons: Reason, minute: int = 0) -> CheckResult:
    return CheckResult(1, "C1", tier, T0 + timedelta(minutes=minute), tuple(reasons))


def _run(
    results: list[CheckResult], *, failures: int = 2, successes: int = 1
) -> tuple[Debounced | None, list[Outcome]]:
    record: Debounced | None = None
    outcomes = []
    for result in results:
        outcome = apply_result(
            record, result, failures_to_offline=failures, successes_to_online=successes
        )
        record = outcome.record
        outcomes.append(outcome)
    return record, outcomes


def test_first_good_result_makes_an_unknown_camera_online() -> None:
    record, (outcome,) = _run([_result(REACH)])
    assert outcome.previous is HealthState.UNKNOWN
    assert outcome.changed
    assert record is not None
    assert (record.state, record.since) == (HealthState.ONLINE, T0)


def test_one_lost_probe_is_not_an_outage() -> None:
    record, outcomes = _run(
        [
            _result(REACH, minute=0),
            _result(REACH, Reason.TIMEOUT, minute=2),
            _result(REACH, minute=4),
        ]
    )
    assert record is not None
    assert [o.record.state for o in outcomes] == [HealthState.ONLINE] * 3
    assert [o.changed for o in outcomes] == [True, False, False]
    assert record.pending_reasons is None


def test_failures_of_any_kind_in_a_row_make_a_camera_offline_with_the_latest_reasons() -> None:
    record, outcomes = _run(
        [
            _result(REACH, minute=0),
            _result(REACH, Reason.TIMEOUT, minute=2),
            _result(REACH, Reason.UNREACHABLE, minute=4),
            _result(REACH, Reason.AUTH_FAILED, minute=6),
        ]
    )
    assert record is not None
    assert [o.record.state for o in outcomes][-2:] == [HealthState.OFFLINE, HealthState.OFFLINE]
    assert outcomes[2].changed
    assert not outcomes[3].changed
    assert record.since == T0 + timedelta(minutes=4)
    assert record.reasons == (Reason.AUTH_FAILED,)


def test_recovery_needs_successes_in_a_row() -> None:
    failing = [_result(REACH, Reason.UNREACHABLE, minute=m) for m in (0, 2)]
    record, outcomes = _run(
        [
            *failing,
            _result(REACH, minute=4),
            _result(REACH, Reason.TIMEOUT, minute=6),
            _result(REACH, minute=8),
            _result(REACH, minute=10),
        ],
        successes=2,
    )
    states = [o.record.state for o in outcomes]
    assert states == [
        HealthState.UNKNOWN,
        HealthState.OFFLINE,
        HealthState.OFFLINE,
        HealthState.OFFLINE,
        HealthState.OFFLINE,
        HealthState.ONLINE,
    ]
    assert record is not None
    assert record.since == T0 + timedelta(minutes=10)


def test_picture_reasons_hold_until_the_next_picture_check() -> None:
    _, outcomes = _run(
        [
            _result(REACH, minute=0),
            _result(PIC, Reason.BLURRED, Reason.FROZEN, minute=1),
            _result(REACH, minute=2),
            _result(PIC, minute=31),
        ]
    )
    assert [o.record.state for o in outcomes] == [
        HealthState.ONLINE,
        HealthState.DEGRADED,
        HealthState.DEGRADED,
        HealthState.ONLINE,
    ]
    assert outcomes[1].record.reasons == (Reason.FROZEN, Reason.BLURRED)


def test_a_picture_check_that_could_not_connect_is_a_reachability_failure() -> None:
    _, outcomes = _run(
        [
            _result(REACH, minute=0),
            _result(PIC, Reason.BLACK, minute=1),
            _result(PIC, Reason.TIMEOUT, minute=2),
            _result(REACH, Reason.UNREACHABLE, minute=3),
        ]
    )
    assert outcomes[2].record.state is HealthState.DEGRADED  # one failure: not yet offline
    assert outcomes[2].record.picture_reasons == (Reason.BLACK,)  # the picture was not judged
    assert outcomes[3].record.state is HealthState.OFFLINE
    assert outcomes[3].record.reasons == (Reason.UNREACHABLE,)


def test_live_reports_are_reachability_observations() -> None:
    _, outcomes = _run(
        [
            _result(CheckTier.LIVE, minute=0),
            _result(CheckTier.LIVE, Reason.UNREACHABLE, minute=1),
            _result(CheckTier.LIVE, Reason.UNREACHABLE, minute=2),
        ]
    )
    assert [o.record.state for o in outcomes] == [
        HealthState.ONLINE,
        HealthState.ONLINE,
        HealthState.OFFLINE,
    ]


def test_an_unknown_camera_failing_once_stays_unknown_until_the_verdict_settles() -> None:
    _, outcomes = _run(
        [
            _result(REACH, Reason.TIMEOUT),
            _result(PIC, Reason.BLACK, minute=1),  # it connected: reachable after all
            _result(REACH, Reason.TIMEOUT, minute=2),
            _result(REACH, Reason.TIMEOUT, minute=3),
        ]
    )
    assert [o.record.state for o in outcomes] == [
        HealthState.UNKNOWN,
        HealthState.DEGRADED,
        HealthState.DEGRADED,
        HealthState.OFFLINE,
    ]


def test_a_late_result_never_starts_a_state_before_the_current_one() -> None:
    record, _ = _run(
        [
            _result(REACH, minute=10),
            _result(REACH, Reason.TIMEOUT, minute=11),
            _result(REACH, Reason.TIMEOUT, minute=5),  # a slow probe, reported late
        ]
    )
    assert record is not None
    assert record.state is HealthState.OFFLINE
    assert record.since == T0 + timedelta(minutes=10)


_reach = st.lists(st.sampled_from(sorted(REACHABILITY_REASONS)), max_size=2, unique=True)
_pic = st.lists(st.sampled_from(sorted(PICTURE_REASONS)), max_size=3, unique=True)
_results = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([REACH, CheckTier.LIVE]), _reach),
        st.tuples(st.just(PIC), st.one_of(_pic, _reach)),
    ),
    min_size=1,
    max_size=40,
)


def _as_results(raw: list[tuple[CheckTier, list[Reason]]]) -> list[CheckResult]:
    return [_result(tier, *reasons, minute=i) for i, (tier, reasons) in enumerate(raw)]


@settings(max_examples=300, deadline=None)
@given(_results, st.integers(1, 4), st.integers(1, 4))
def test_properties_of_any_sequence(
    raw: list[tuple[CheckTier, list[Reason]]], failures: int, successes: int
) -> None:
    results = _as_results(raw)
    _, outcomes = _run(results, failures=failures, successes=successes)
    for index, outcome in enumerate(outcomes):
        record = outcome.record
        # The state follows from the debounced reasons (reachability outranks picture).
        if record.state is HealthState.OFFLINE:
            assert record.reasons == record.reach_reasons
            assert record.reasons
            assert set(record.reasons) <= REACHABILITY_REASONS
        elif record.state is HealthState.DEGRADED:
            assert record.reasons == record.picture_reasons
            assert not record.reach_reasons
        elif record.state is HealthState.ONLINE:
            assert not record.reasons
            assert not record.reach_reasons
            assert not record.picture_reasons
        # A change is reported exactly when the state differs, and starts at its result.
        previous = outcomes[index - 1].record.state if index else HealthState.UNKNOWN
        assert outcome.changed == (record.state is not previous)
        if outcome.changed:
            assert record.since == results[index].checked_at
        # Going offline needs `failures` failed observations in a row (any tier).
        if outcome.changed and record.state is HealthState.OFFLINE:
            window = results[max(0, index - failures + 1) : index + 1]
            assert len(window) == failures
            assert all(set(r.reasons) & REACHABILITY_REASONS for r in window)
        # Leaving offline needs `successes` reachable observations in a row.
        if outcome.changed and previous is HealthState.OFFLINE:
            window = results[max(0, index - successes + 1) : index + 1]
            assert len(window) == successes
            assert not any(set(r.reasons) & REACHABILITY_REASONS for r in window)


@settings(max_examples=200, deadline=None)
@given(_results)
def test_with_single_thresholds_the_state_is_the_last_results_verdict(
    raw: list[tuple[CheckTier, list[Reason]]],
) -> None:
    results = _as_results(raw)
    record, _ = _run(results, failures=1, successes=1)
    assert record is not None
    last = results[-1]
    reach = set(last.reasons) & REACHABILITY_REASONS
    if reach:
        assert record.state is HealthState.OFFLINE
        assert set(record.reasons) == reach
    else:
        pictures = [
            r for r in results if r.tier is PIC and not set(r.reasons) & REACHABILITY_REASONS
        ]
        expected = set(pictures[-1].reasons) if pictures else set()
        assert set(record.picture_reasons) == expected
        assert record.state is (HealthState.DEGRADED if expected else HealthState.ONLINE)
