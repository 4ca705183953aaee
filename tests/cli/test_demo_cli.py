"""`camreg demo --no-serve` sets up a working registry from the samples, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.account.service import authenticate
from camera_registry.area.model import Area
from camera_registry.camera.model import Camera
from camera_registry.db.unit_of_work import unit_of_work
from ingest.events.model import Footage, MotionEvent
from ingest.health.model import CameraHealth

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_demo_imports_samples_and_creates_an_admin(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )
    first = runner.invoke(app, ["demo", "--no-serve", "--json", "--samples", str(SAMPLES)])
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["cameras_created"] == 1611
    assert summary["url"] == "http://127.0.0.1:8000/"
    [footage] = [s for s in summary["steps"] if s["step"] == "footage"]
    assert footage["failures"] == []
    assert footage["indexed"] == footage["footage"] == 7
    assert footage["events"] > 0
    assert footage["window"]["from"].endswith("T21:00+07:00")
    # Every sample camera with a stream was really probed; their hosts are under .invalid.
    [health] = [s for s in summary["steps"] if s["step"] == "health"]
    assert health["checked"] > 1000
    assert health["states"] == {"offline": health["checked"]}
    with unit_of_work(session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(CameraHealth)
                .where(CameraHealth.state == "offline")
            )
            == health["checked"]
        )
        events_after_first = session.scalar(select(func.count()).select_from(MotionEvent))
        with_thumbnail = session.scalar(
            select(func.count())
            .select_from(MotionEvent)
            .where(MotionEvent.thumbnail_path.is_not(None))
        )
    assert events_after_first == footage["events"]
    assert with_thumbnail == events_after_first
    again = runner.invoke(app, ["demo", "--no-serve", "--json", "--samples", str(SAMPLES)])
    assert again.exit_code == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["cameras_unchanged"] == 1611
    assert second["password"] != summary["password"]
    [again_footage] = [s for s in second["steps"] if s["step"] == "footage"]
    assert (again_footage["indexed"], again_footage["duplicates"]) == (0, 7)
    assert again_footage["events"] == footage["events"]
    assert again_footage["window"] == footage["window"]
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Camera)) == 1611
        assert session.scalar(select(func.count()).select_from(MotionEvent)) == events_after_first
        # Clips are cut by copying packets into MP4: the GIFs are stored as H.264 like cameras'.
        assert list(session.scalars(select(Footage.codec))) == ["h264"] * 7
        assert (session.scalar(select(func.count()).select_from(Area)) or 0) > 0
        missing_ward = session.scalar(
            select(func.count()).select_from(Camera).where(Camera.ward_code.is_(None))
        )
        assert missing_ward == 0
        user = authenticate(
            session,
            username="admin",
            password=second["password"],
            source="test",
            max_failed=5,
            lockout_minutes=15,
        )
        assert user.role == "admin"


def test_demo_without_samples_says_what_to_do(
    database_url: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    runner = CliRunner(
        env={"CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(tmp_path / "var")}
    )
    result = runner.invoke(app, ["demo", "--no-serve", "--samples", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "sample file" in result.stderr
