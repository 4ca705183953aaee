"""`camreg events search|coverage` end to end through the command line, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.audit.model import AuditEntry
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import CoverageKind
from tests.builders import make_camera
from tests.ingest.events.builders import at, make_coverage, make_event

BOX = "107.0843,10.3458,107.0850,10.3462"
WINDOW = ["--from", "2026-03-12T21:00", "--to", "2026-03-12T23:30"]  # display zone, UTC+7


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


@pytest.fixture
def events(session_factory: sessionmaker[Session]) -> list[str]:
    """A camera looking into the box with one event, one in it with one, one far away."""
    with unit_of_work(session_factory) as session:
        view = make_camera(
            session, code="VIEW", lat=10.346, lon=107.084, heading_deg=90, fov_deg=60, range_m=60
        )
        inside = make_camera(session, code="INSIDE", lat=10.346, lon=107.0846)
        far = make_camera(session, code="FAR", lat=10.36, lon=107.10)
        make_coverage(session, view, start=at(0), end=at(75))
        make_coverage(session, view, start=at(75), end=at(90), kind=CoverageKind.GAP)
        ids = [
            make_event(session, view, start=at(10), thumbnail_path="thumbs/a.jpg").id,
            make_event(session, inside, start=at(20), score=0.3).id,
        ]
        make_event(session, far, start=at(30))
        return ids


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_search_prints_events_with_offsets_and_audits_the_case(
    cli: CliRunner, events: list[str], session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    code, out, err = _run(
        cli, "events", "search", "--bbox", BOX, *WINDOW, "--case", "HS-1", "--json"
    )
    assert code == 0, err
    found = json.loads(out)
    assert [e["id"] for e in found] == events
    first = found[0]
    assert first["camera"] == "VIEW"
    assert first["start"] == "2026-03-12T21:10:00+07:00"
    assert first["end"] == "2026-03-12T21:10:10+07:00"
    assert first["score"] == 0.8
    assert first["thumbnail"] == str((tmp_path / "var" / "thumbs" / "a.jpg").resolve())
    assert found[1]["thumbnail"] is None
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "event.search")).one()
    assert entry.case_number == "HS-1"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--near", "10.3460,107.08432", "--radius", "8"], 0),
        (["--camera", "INSIDE"], 1),
        (["--bbox", BOX, "--min-score", "0.5"], 0),
        (["--bbox", BOX, "--region", "0.5,0.5,1,1"], None),
    ],
)
def test_search_places_and_conditions(
    cli: CliRunner, events: list[str], args: list[str], expected: int | None
) -> None:
    code, out, err = _run(cli, "events", "search", *args, *WINDOW, "--json")
    assert code == 0, err
    assert [e["id"] for e in json.loads(out)] == ([] if expected is None else [events[expected]])


def test_coverage_prints_cameras_and_spans(cli: CliRunner, events: list[str]) -> None:
    code, out, err = _run(cli, "events", "coverage", "--bbox", BOX, *WINDOW, "--json")
    assert code == 0, err
    by_camera = {c["camera"]: c for c in json.loads(out)}
    assert set(by_camera) == {"VIEW", "INSIDE"}
    spans = by_camera["VIEW"]["spans"]
    assert [(s["kind"], s["start"][11:16], s["end"][11:16]) for s in spans] == [
        ("recorded", "21:00", "22:15"),
        ("gap", "22:15", "22:30"),
        ("unknown", "22:30", "23:30"),
    ]
    assert by_camera["VIEW"]["covered_fraction"] == pytest.approx(0.5)
    code, _, err = _run(cli, "events", "coverage", "--bbox", BOX, *WINDOW)
    assert code == 0
    assert "2 cameras" in err


def test_table_output(cli: CliRunner, events: list[str]) -> None:
    code, out, err = _run(cli, "events", "search", "--bbox", BOX, *WINDOW)
    assert code == 0, err
    assert "VIEW" in out
    assert "2 events from 2 cameras" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-12T23:00", "--to", "2026-03-12T21:00"], "after its start"),
        (["--from", "2026-03-12T00:00", "--to", "2026-03-16T00:00"], "longer than 72 h"),
        (["--from", "yesterday", "--to", "2026-03-12T21:00"], "ISO 8601"),
        ([*WINDOW, "--near", "10.3,107.0"], "go together"),
        ([*WINDOW, "--case", "bad\x07case"], "case number"),
        (["--from", "0001-01-01T00:00", "--to", "0001-01-01T02:00"], "--from: give a time between"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    cli: CliRunner, args: list[str], message: str, session_factory: sessionmaker[Session]
) -> None:
    code, out, err = _run(cli, "events", "search", *args, "--json")
    assert code == 2
    assert out == ""
    assert message in " ".join(err.split())


def test_invalid_polygon_file(cli: CliRunner, tmp_path: Path, events: list[str]) -> None:
    area = tmp_path / "bow.geojson"
    ring = [[107.08, 10.34], [107.09, 10.35], [107.09, 10.34], [107.08, 10.35], [107.08, 10.34]]
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    code, _, err = _run(cli, "events", "search", "--area", str(area), *WINDOW, "--json")
    assert code == 2
    assert "not valid" in err
