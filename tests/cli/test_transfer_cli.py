"""`camreg cameras import|export` through the command line, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.transfer.columns import EXPORT_COLUMNS
from tests.camera_registry.test_transfer_support import stored, xlsx_rows

GOOD = (
    "\ufeffcode,name,lat,lon,tags,owner_name,stream_url,stream_username,stream_password\r\n"
    "VT-0001,Ngã tư Ba Cu,10.3461,107.0843,cho;giao-lo,Trần Văn Bình,"
    "rtsp://cam-1.vt.invalid/main,admin,s3cret\r\n"
    "VT-0002,Chợ Xóm Lưới,10.3552,107.0811,,,,,\r\n"
)
BAD = "code,name,lat,lon,consent\nVT-0003,A,10.35,107.08,yes\nVT-0004,B,north,107.08,maybe\n"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_dry_run_then_for_real(
    cli: CliRunner, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    file = _write(tmp_path, "cams.csv", GOOD)
    result = cli.invoke(app, ["cameras", "import", str(file), "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "2 rows: 2 created, 0 updated, 0 unchanged (dry run: nothing was changed)"
    )
    assert stored(session_factory).versions == {}
    result = cli.invoke(app, ["cameras", "import", str(file), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["dry_run"]) == (["VT-0001", "VT-0002"], False)
    assert stored(session_factory).versions == {"VT-0001": 1, "VT-0002": 1}
    again = cli.invoke(app, ["cameras", "import", str(file)])
    assert again.stdout.strip() == "2 rows: 0 created, 0 updated, 2 unchanged"


def test_rejected_file_lists_every_problem_and_changes_nothing(
    cli: CliRunner, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    before = stored(session_factory)
    result = cli.invoke(app, ["cameras", "import", str(_write(tmp_path, "bad.csv", BAD))])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "line 3, field lat: 'north' is not a number" in lines
    assert any(line.startswith("line 3, field consent: 'maybe' is not yes/no") for line in lines)
    assert "import rejected with 2 problems; nothing was changed" in result.stderr
    assert stored(session_factory) == before


def test_geojson_problems_name_the_feature(cli: CliRunner, tmp_path: Path) -> None:
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature"}]}
    file = _write(tmp_path, "cams.geojson", json.dumps(collection))
    result = cli.invoke(app, ["cameras", "import", str(file)])
    assert result.exit_code == 2
    assert "feature 1, field geometry: must be a Point [lon, lat]" in result.stderr


def test_refusals_before_reading(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["cameras", "import", str(_write(tmp_path, "cams.pdf", GOOD))])
    assert (result.exit_code, "extension" in result.stderr) == (2, True)
    big = _write(tmp_path, "big.csv", GOOD + "x" * 2000)
    result = cli.invoke(
        app, ["cameras", "import", str(big)], env={"CAMREG_HTTP__MAX_UPLOAD_BYTES": "1000"}
    )
    assert result.exit_code == 2
    assert "the limit is 1,000 (http.max_upload_bytes)" in result.stderr
    forced = cli.invoke(
        app, ["cameras", "import", str(_write(tmp_path, "x.txt", GOOD)), "--format", "csv"]
    )
    assert forced.exit_code == 0, forced.stderr


def test_export_formats_and_filters(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(app, ["cameras", "import", str(_write(tmp_path, "cams.csv", GOOD))])
    result = cli.invoke(app, ["cameras", "export", "--format", "csv", "--tag", "cho"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == ["VT-0001"]
    assert "s3cret" not in result.stdout
    assert "Trần Văn Bình" in result.stdout  # the CLI acts as admin, who may read owners
    out = tmp_path / "all.geojson"
    result = cli.invoke(app, ["cameras", "export", "--output", str(out)])
    assert result.exit_code == 0, result.stderr
    codes = [f["properties"]["code"] for f in json.loads(out.read_text())["features"]]
    assert codes == ["VT-0001", "VT-0002"]
    result = cli.invoke(app, ["cameras", "export", "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--output" in result.stderr
    workbook = tmp_path / "cams.xlsx"
    result = cli.invoke(app, ["cameras", "export", "-o", str(workbook), "--code", "VT-0002"])
    assert result.exit_code == 0, result.stderr
    assert [row[0] for row in xlsx_rows(workbook.read_bytes())] == ["code", "VT-0002"]
    result = cli.invoke(app, ["cameras", "export"])
    assert (result.exit_code, "--format" in result.stderr) == (2, True)
