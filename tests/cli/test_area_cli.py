"""`camreg areas import|list|show` through the command line, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.camera.repository import CameraRepository
from camera_registry.db.unit_of_work import unit_of_work
from tests.builders import make_camera

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


def test_import_samples_assigns_wards_and_lists_both_periods(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        make_camera(session, code="BA-CU", lat=10.3470, lon=107.0760)
    areas = str(SAMPLES / "areas.geojson")
    dry = cli.invoke(app, ["areas", "import", areas, "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.strip() == (
        "areas: 22 created, 0 updated, 0 unchanged; 17 successions; 1 cameras given a ward"
        " (dry run: nothing was changed)"
    )
    result = cli.invoke(app, ["areas", "import", areas, "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["cameras_assigned"], report["dry_run"]) == (22, 1, False)
    with unit_of_work(session_factory) as session:
        camera = CameraRepository(session).get("BA-CU")
        assert camera is not None
        assert camera.ward_code == "26506"

    listed = json.loads(cli.invoke(app, ["areas", "list", "--json"]).stdout)
    assert len(listed) == 22
    today = json.loads(cli.invoke(app, ["areas", "list", "--at", "2026-01-01", "--json"]).stdout)
    assert [a["code"] for a in today] == ["26506", "26526", "26536", "26542", "26545"]
    assert all(a["official"] for a in today)
    old = json.loads(cli.invoke(app, ["areas", "list", "--at", "2025-06-30", "--json"]).stdout)
    assert len(old) == 17
    table = cli.invoke(app, ["areas", "list", "--level", "ward"])
    assert (table.exit_code, table.stderr.strip()) == (0, "22 areas")


def test_show_picks_the_period(cli: CliRunner) -> None:
    cli.invoke(app, ["areas", "import", str(SAMPLES / "areas.geojson")])
    now = json.loads(cli.invoke(app, ["areas", "show", "26506", "--json"]).stdout)
    assert (now["name"], now["geometry"]["type"]) == ("Phường Vũng Tàu", "Polygon")
    assert "26521" in now["replaces"]
    before = cli.invoke(app, ["areas", "show", "26506", "--at", "2024-05-01"])
    assert before.exit_code == 0, before.stderr
    assert "name: Phường 1" in before.stdout
    assert "replaced_by: ['26506']" in before.stdout
    assert "geometry: Polygon, bounds" in before.stdout
    missing = cli.invoke(app, ["areas", "show", "99999"])
    assert (missing.exit_code, "no area with code '99999'" in missing.stderr) == (2, True)
    bad_date = cli.invoke(app, ["areas", "show", "26506", "--at", "yesterday"])
    assert (bad_date.exit_code, "--at must be a date" in bad_date.stderr) == (2, True)


def test_rejected_area_file(
    cli: CliRunner, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    bowtie = [[[107.0, 10.3], [107.1, 10.4], [107.1, 10.3], [107.0, 10.4], [107.0, 10.3]]]
    feature = {
        "type": "Feature",
        "properties": {"code": "X", "name": "Nơ"},
        "geometry": {"type": "Polygon", "coordinates": bowtie},
    }
    file = tmp_path / "areas.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = cli.invoke(app, ["areas", "import", str(file)])
    assert result.exit_code == 2
    assert "feature 1, field geometry: geometry is not valid (Self-intersection" in result.stderr
    assert "nothing was changed" in result.stderr
    assert json.loads(cli.invoke(app, ["areas", "list", "--json"]).stdout) == []
    file.write_text("not json")
    result = cli.invoke(app, ["areas", "import", str(file)])
    assert (result.exit_code, "area file is not JSON" in result.stderr) == (2, True)
