"""`camreg health prune` on both databases: what it removes, in JSON and as text."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.db.unit_of_work import unit_of_work
from ingest.health.model import HealthCheck
from tests.ingest.health.test_retention import _camera, _check


def _runner(database_url: str, data_dir: Path) -> CliRunner:
    return CliRunner(
        env={
            "CAMREG_DATABASE_URL": database_url,
            "CAMREG_DATA_DIR": str(data_dir),
            "CAMREG_HEALTH__HISTORY_DAYS": "14",
            "CAMREG_HEALTH__SNAPSHOT_DAYS": "3",
        }
    )


def test_prune_prints_rows_and_files_removed_as_json(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    cam = _camera(session_factory)
    _, old = _check(session_factory, data_dir, cam, timedelta(days=15))
    mid_id, mid = _check(session_factory, data_dir, cam, timedelta(days=4))
    new_id, new = _check(session_factory, data_dir, cam, timedelta(days=2))

    result = _runner(database_url, data_dir).invoke(app, ["health", "prune", "--json"])

    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["rows_deleted"] == 1
    assert out["snapshots_cleared"] == 1
    assert out["files_removed"] == 2
    assert old is not None
    assert mid is not None
    assert new is not None
    assert not old.exists()
    assert not mid.exists()
    assert new.exists()
    with unit_of_work(session_factory) as s:
        assert set(s.scalars(select(HealthCheck.id))) == {mid_id, new_id}


def test_prune_prints_a_line_without_json(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    cam = _camera(session_factory)
    _check(session_factory, data_dir, cam, timedelta(days=20))

    result = _runner(database_url, data_dir).invoke(app, ["health", "prune"])

    assert result.exit_code == 0, result.stderr
    assert "1 check row(s) older than" in result.stdout
    assert "1 snapshot file(s) removed" in result.stdout


def test_prune_refuses_bad_settings_with_what_to_fix(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner(
        env={
            "CAMREG_DATABASE_URL": database_url,
            "CAMREG_DATA_DIR": str(tmp_path),
            "CAMREG_HEALTH__HISTORY_DAYS": "0",
        }
    )

    result = runner.invoke(app, ["health", "prune", "--json"])

    assert result.exit_code == 2
    assert "history_days" in result.stderr
    assert result.stdout == ""
