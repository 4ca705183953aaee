"""`camreg health status|report|history|reference` end to end, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.audit.model import AuditEntry
from camera_registry.clock import utcnow
from camera_registry.db.unit_of_work import unit_of_work
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.health_builders import (
    jpeg,
    make_check,
    make_health,
    make_recorded,
    make_timeline,
    make_watched_camera,
)


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


@pytest.fixture
def seeded(session_factory: sessionmaker[Session], tmp_path: Path) -> int:
    """OK online, BAD offline for an hour with a snapshot; returns the picture check id."""
    now = utcnow()
    with unit_of_work(session_factory) as session:
        ok = make_watched_camera(session, code="OK", ward_code="26506")
        bad = make_watched_camera(session, code="BAD", ward_code="26526")
        make_health(
            session,
            ok,
            state=HealthState.ONLINE,
            since=now - timedelta(hours=2),
            checked_at=now - timedelta(minutes=1),
        )
        make_health(
            session,
            bad,
            state=HealthState.OFFLINE,
            reasons=[Reason.AUTH_FAILED],
            since=now - timedelta(hours=1),
            checked_at=now - timedelta(minutes=1),
            last_latency_ms=None,
        )
        make_timeline(session, ok, now - timedelta(hours=2), [(HealthState.ONLINE, -1)])
        make_timeline(
            session,
            bad,
            now - timedelta(hours=2),
            [(HealthState.ONLINE, 60), (HealthState.OFFLINE, -1)],
        )
        make_recorded(session, ok, now - timedelta(hours=2), now - timedelta(hours=1))
        picture = make_check(
            session,
            bad,
            at=now - timedelta(minutes=30),
            tier=CheckTier.PICTURE,
            snapshot=jpeg(),
            data_dir=tmp_path / "var",
        )
        make_check(session, bad, at=now - timedelta(minutes=1), reasons=[Reason.AUTH_FAILED])
        return picture.id


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_status_json_problems_first_with_offsets(cli: CliRunner, seeded: int) -> None:
    code, out, err = _run(cli, "health", "status", "--json")
    assert code == 0, err
    items = json.loads(out)
    assert [(i["camera"], i["state"], i["reasons"]) for i in items] == [
        ("BAD", "offline", ["auth_failed"]),
        ("OK", "online", []),
    ]
    assert items[0]["since"].endswith("+07:00")
    code, out, _ = _run(cli, "health", "status", "--state", "online", "--json")
    assert [i["camera"] for i in json.loads(out)] == ["OK"]
    code, out, _ = _run(cli, "health", "status", "--camera", "BAD")
    assert code == 0
    assert "BAD" in out
    assert "offline" in out
    assert "│ OK " not in out
    # On an 80-column terminal the times keep their offset (title, since, last check).
    wide = CliRunner(env={**cli.env, "COLUMNS": "80"})
    narrow = wide.invoke(app, ["health", "status"]).stdout
    assert "…" not in narrow
    assert narrow.count("+0700") == 1 + 2 * 2


def test_report_json_and_table(
    cli: CliRunner, seeded: int, session_factory: sessionmaker[Session]
) -> None:
    now = utcnow()
    start = (now - timedelta(hours=2)).isoformat()
    end = now.isoformat()
    code, out, err = _run(
        cli, "health", "report", "--from", start, "--to", end, "--case", "HS-5", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    rows = {r["camera"]: r for r in report["cameras"]}
    assert rows["OK"]["share"]["online"] == pytest.approx(1.0, abs=0.01)
    assert rows["OK"]["recorded_share"] == pytest.approx(0.5, abs=0.01)
    assert rows["BAD"]["seconds"]["offline"] == pytest.approx(3600, abs=60)
    assert rows["BAD"]["incidents"] == 1
    assert [w["ward"] for w in report["wards"]] == ["26506", "26526"]
    assert report["city"]["cameras"] == 2
    assert report["start"].endswith("+07:00")
    with unit_of_work(session_factory) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "health.availability")
        assert [a.case_number for a in session.scalars(stmt)] == ["HS-5"]
    code, out, err = _run(cli, "health", "report", "--from", start, "--to", end, "--camera", "BAD")
    assert code == 0, err
    assert "city" in out
    assert "BAD" in out
    assert "│ OK " not in out
    code, out, err = _run(cli, "health", "report", "--from", start, "--to", end, "--ward", "X1")
    assert code == 2
    assert "no area with code 'X1'" in err


def test_report_lists_state_intervals(
    cli: CliRunner, seeded: int, session_factory: sessionmaker[Session]
) -> None:
    now = utcnow()
    start = (now - timedelta(hours=3)).isoformat()
    end = now.isoformat()
    window = ["health", "report", "--from", start, "--to", end]
    code, out, err = _run(cli, *window, "--intervals", "--case", "HS-6", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["city"]["cameras"] == 2
    timelines = {t["camera"]: t for t in report["intervals"]}
    assert sorted(timelines) == ["BAD", "OK"]
    bad = timelines["BAD"]["intervals"]
    assert [(i["state"], i["reasons"]) for i in bad] == [
        ("unknown", []),
        ("online", []),
        ("offline", ["unreachable"]),
    ]
    assert bad[2]["start"].endswith("+07:00")
    with unit_of_work(session_factory) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "health.intervals.view")
        assert sorted((a.target, a.case_number) for a in session.scalars(stmt)) == [
            ("BAD", "HS-6"),
            ("OK", "HS-6"),
        ]
    # Without --intervals the report stays as it was.
    code, out, _ = _run(cli, *window, "--json")
    assert "intervals" not in json.loads(out)
    code, out, err = _run(cli, *window, "--camera", "BAD", "--intervals")
    assert code == 0, err
    assert "States over the window" in out
    assert "unreachable" in out
    assert "│ OK " not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--from", "yesterday", "--to", "2026-03-12T10:00"], "ISO 8601"),
        (["report", "--from", "2026-03-12T10:00", "--to", "2026-03-12T09:00"], "after its start"),
        (["report", "--from", "2020-01-01", "--to", "2026-01-01"], "longer than"),
        (["history", "NOPE"], "no camera NOPE"),
        (["reference", "OK"], "no snapshot yet"),
        (["reference", "OK", "--check", "1", "--clear"], "not both"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    cli: CliRunner, seeded: int, args: list[str], message: str
) -> None:
    code, out, err = _run(cli, "health", *args)
    assert code == 2
    assert out == ""
    assert message in " ".join(err.split())


def test_history_and_reference(cli: CliRunner, seeded: int, tmp_path: Path) -> None:
    code, out, err = _run(cli, "health", "history", "BAD", "--json")
    assert code == 0, err
    checks = json.loads(out)
    assert [c["tier"] for c in checks] == ["reachability", "picture"]
    assert checks[0]["reasons"] == ["auth_failed"]
    snapshot = Path(checks[1]["snapshot"])
    assert snapshot.is_file()
    assert snapshot.is_relative_to((tmp_path / "var").resolve())
    code, out, _ = _run(cli, "health", "history", "BAD", "--limit", "1", "--json")
    assert len(json.loads(out)) == 1

    code, out, err = _run(cli, "health", "reference", "BAD", "--json")
    assert code == 0, err
    read = json.loads(out)
    assert read["check_id"] == seeded
    reference = tmp_path / "var" / "health" / "references" / "BAD.jpg"
    assert reference.read_bytes() == snapshot.read_bytes()
    code, _, err = _run(cli, "health", "reference", "BAD", "--clear")
    assert code == 0, err
    assert "cleared" in err
    assert not reference.exists()
