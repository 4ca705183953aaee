"""`camreg cameras …` end to end through the command line, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app


@pytest.fixture
def cli(database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> CliRunner:
    """A runner whose commands use the test database (emptied after the test)."""
    return CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_add_list_show_update_retire_history(cli: CliRunner) -> None:
    code, out, err = _run(
        cli,
        "cameras",
        "add",
        "--code",
        "VT-0001",
        "--name",
        "Ngã tư Phường 7",
        "--lat",
        "10.35",
        "--lon",
        "107.08",
        "--stream-url",
        "rtsp://admin:pw123456@cam1.invalid/main",
        "--set",
        "owner_phone=0903123456",
        "--set",
        "heading_deg=90",
        "--set",
        "fov_deg=60",
        "--set",
        "range_m=40",
        "--tag",
        "giao-lo",
        "--json",
    )
    assert code == 0, err
    created = json.loads(out)
    assert created["stream_url"] == "rtsp://cam1.invalid/main"
    assert created["has_credentials"] is True
    assert "pw123456" not in out
    assert created["fov_polygon"]["type"] == "Polygon"

    code, out, _ = _run(cli, "cameras", "list", "--q", "phuong 7", "--json")
    assert code == 0
    items = json.loads(out)
    assert [i["code"] for i in items] == ["VT-0001"]
    assert {"code", "name", "lat", "lon", "status"} <= set(items[0])
    assert "owner_phone" not in items[0]

    code, out, _ = _run(
        cli, "cameras", "list", "--near", "10.3501,107.0801", "--radius", "100", "--json"
    )
    assert json.loads(out)[0]["distance_m"] < 20

    code, out, err = _run(
        cli, "cameras", "update", "VT-0001", "--status", "active", "--if-version", "1", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "active"
    code, _, err = _run(cli, "cameras", "update", "VT-0001", "--name", "x", "--if-version", "1")
    assert code == 2
    assert "changed since you read it" in err

    code, out, _ = _run(cli, "cameras", "retire", "VT-0001", "--reason", "pole removed", "--json")
    assert json.loads(out)["status"] == "decommissioned"
    code, out, _ = _run(cli, "cameras", "list", "--status", "decommissioned", "--json")
    assert [i["code"] for i in json.loads(out)] == ["VT-0001"]

    code, out, _ = _run(cli, "cameras", "history", "VT-0001", "--json")
    history = json.loads(out)
    assert [h["action"] for h in history] == ["create", "update", "status:decommissioned"]
    assert all(h["actor"].startswith("cli:") for h in history)
    assert "pw123456" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lat", "107.08", "--lon", "10.35"], "look swapped"),
        (["--lat", "48.85", "--lon", "2.35"], "outside Vietnam"),
        (["--lat", "10.35", "--lon", "107.08", "--set", "owner_phone=call me"], "phone"),
        (["--lat", "10.35", "--lon", "107.08", "--stream-url", "ftp://x.invalid/"], "stream URL"),
        (["--lat", "10.35", "--lon", "107.08", "--ward", "99999"], "unknown ward code"),
        (["--lat", "10.35", "--lon", "107.08", "--resolution", "1080p"], "WIDTHxHEIGHT"),
        (["--lat", "10.35", "--lon", "107.08", "--resolution", "1920x8"], "expected_height"),
        (["--lat", "10.35", "--lon", "107.08", "--fps", "0"], "expected_fps"),
        (["--lat", "10.35", "--lon", "107.08", "--set", "expected_width=1920"], "together"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    cli: CliRunner, args: list[str], message: str
) -> None:
    code, out, err = _run(cli, "cameras", "add", "--code", "BAD-1", "--name", "x", *args)
    assert code == 2
    assert message in err
    assert out == ""
    code, out, _ = _run(cli, "cameras", "list", "--json")
    assert json.loads(out) == []


def test_expected_stream_format_is_set_shown_logged_and_cleared(cli: CliRunner) -> None:
    place = ["--code", "VT-0002", "--name", "Chợ", "--lat", "10.35", "--lon", "107.08"]
    code, out, err = _run(
        cli, "cameras", "add", *place, "--resolution", "1920x1080", "--fps", "25", "--json"
    )
    assert code == 0, err
    created = json.loads(out)
    assert (created["expected_width"], created["expected_height"]) == (1920, 1080)
    assert created["expected_fps"] == 25.0

    code, out, err = _run(
        cli, "cameras", "update", "VT-0002", "--resolution", "2560X1440", "--fps", "12.5", "--json"
    )
    assert code == 0, err
    updated = json.loads(out)
    assert (updated["expected_width"], updated["expected_height"]) == (2560, 1440)
    assert updated["expected_fps"] == 12.5

    code, out, err = _run(cli, "cameras", "update", "VT-0002", "--resolution", "", "--json")
    assert code == 0, err
    cleared = json.loads(out)
    assert (cleared["expected_width"], cleared["expected_height"]) == (None, None)
    assert cleared["expected_fps"] == 12.5

    code, out, _ = _run(cli, "cameras", "history", "VT-0002", "--json")
    changes = [(h["before"], h["after"]) for h in json.loads(out)][1:]
    assert [(b["expected_width"], a["expected_width"]) for b, a in changes] == [
        (1920, 2560),
        (2560, None),
    ]
    assert changes[0][1]["expected_fps"] == 12.5


def test_bad_code_and_unknown_camera(cli: CliRunner) -> None:
    code, _, err = _run(
        cli,
        "cameras",
        "add",
        "--code",
        "VT 1; DROP",
        "--name",
        "x",
        "--lat",
        "10.35",
        "--lon",
        "107.08",
    )
    assert code == 2
    assert "code" in err
    code, _, err = _run(cli, "cameras", "show", "NOPE")
    assert code == 2
    assert "no camera NOPE" in err


def test_sql_looking_text_is_stored_literally(cli: CliRunner) -> None:
    name = "'); DROP TABLE cameras;--"
    code, _, err = _run(
        cli,
        "cameras",
        "add",
        "--code",
        "SQL-1",
        "--name",
        name,
        "--lat",
        "10.35",
        "--lon",
        "107.08",
    )
    assert code == 0, err
    code, out, _ = _run(cli, "cameras", "list", "--q", "drop table", "--json")
    assert [i["name"] for i in json.loads(out)] == [name]


def test_config_show_masks_secrets(cli: CliRunner) -> None:
    cli.env = {
        **(cli.env or {}),
        "CAMREG_CREDENTIALS_KEY": "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=",
    }
    code, out, _ = _run(cli, "config", "show", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["credentials_key"] == "***"
    assert "c2VjcmV0" not in out
    assert data["display_timezone"] == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    "command",
    [
        ["cameras", "list"],
        ["events", "search", "--from", "2026-03-12T21:00", "--to", "2026-03-12T23:00"],
    ],
)
@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--bbox", "107.0,10.3,107.1"], "W,S,E,N"),
        (["--ward", "26506", "--at", "12/03/2026"], "must be a date"),
        (["--area", "BROKEN_FILE"], "cannot read GeoJSON"),
    ],
)
def test_place_options_are_checked_the_same_way(
    cli: CliRunner, tmp_path: Path, command: list[str], option: list[str], message: str
) -> None:
    broken = tmp_path / "zone.geojson"
    broken.write_text('{"type": "Polygon", "coordinates": [[', encoding="utf-8")
    option = [str(broken) if part == "BROKEN_FILE" else part for part in option]
    code, out, err = _run(cli, *command, *option, "--json")
    assert code == 2
    assert message in err
    assert out == ""
