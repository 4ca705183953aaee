"""`camreg health check` end to end against the GStreamer RTSP server, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli.main import app
from camera_registry.camera.write import WriteContext
from camera_registry.clock import utcnow
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from ingest.health.model import CameraHealth, HealthCheck
from ingest.health.schedule import claim_now
from ingest.health.vocabulary import CheckTier
from tests.builders import make_camera
from tests.ingest.health.conftest import PASSWORD, USER
from tests.support.rtsp import RtspTestServer, free_port

pytestmark = pytest.mark.rtsp
KEY = Fernet.generate_key()


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
    open_server: RtspTestServer,
    basic_server: RtspTestServer,
) -> CliRunner:
    """A runner on the test database with a healthy, a dead and a password-protected camera."""
    ctx = WriteContext(cipher=CredentialCipher(KEY))
    dead = f"rtsp://127.0.0.1:{free_port()}/x"
    # The registry takes credentials out of the URL (percent-decoded) and encrypts them.
    secret = quote(PASSWORD, safe="")
    protected = basic_server.url("/live").replace("rtsp://", f"rtsp://{USER}:{secret}@")
    wrong = basic_server.url("/live").replace("rtsp://", f"rtsp://{USER}:wrong@")
    with unit_of_work(session_factory) as s:
        make_camera(s, code="OK", status="active", stream_url=open_server.url("/live"))
        make_camera(s, code="DEAD", status="maintenance", stream_url=dead)
        make_camera(s, ctx=ctx, code="PW", status="active", stream_url=protected)
        make_camera(s, ctx=ctx, code="BADPW", status="active", stream_url=wrong)
        make_camera(s, code="PLAN", status="planned", stream_url=dead)
    return CliRunner(
        env={
            "CAMREG_DATABASE_URL": database_url,
            "CAMREG_DATA_DIR": str(tmp_path / "var"),
            "CAMREG_CREDENTIALS_KEY": KEY.decode(),
            "CAMREG_HEALTH__PICTURE_SECONDS": "1.5",
        }
    )


def _server_race(row: dict[str, Any]) -> bool:
    """Return True when the picture hit the test server's shared-media restart (a 5XX reply).

    GStreamer's shared media is torn down when its last client leaves; a client arriving in that
    moment gets a 5XX. Real cameras do not do this; the probe reports it truthfully.
    """
    picture = row["tiers"]["picture"]
    return picture.get("reasons") == ["no_frames"] and "5XX" in (picture.get("message") or "")


def _check(cli: CliRunner, *args: str) -> tuple[int, Any, str]:
    result = cli.invoke(app, ["health", "check", *args])
    out = json.loads(result.stdout) if result.stdout.strip().startswith("[") else None
    return result.exit_code, out, result.stderr


def test_check_prints_fresh_results_and_records_them(
    cli: CliRunner, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    code, out, err = _check(
        cli, "--camera", "OK", "--camera", "DEAD", "--camera", "PW", "--camera", "BADPW", "--json"
    )
    assert code == 0, err
    rows = {row["camera"]: row for row in out}
    assert sorted(rows) == ["BADPW", "DEAD", "OK", "PW"]
    ok = rows["OK"]
    assert ok["latency_ms"] > 0
    assert ok["tiers"]["reachability"]["details"]["rtsp_status"] == 200
    assert ok["tiers"]["reachability"]["reasons"] == []
    for name in ("OK", "PW"):
        if _server_race(rows[name]):
            continue
        assert rows[name]["reasons"] == [], rows[name]
        assert rows[name]["state"] == "online"
        assert rows[name]["stored_state"] == "online"
        assert rows[name]["tiers"]["picture"]["snapshot"] is True
    assert rows["BADPW"]["reasons"] == ["auth_failed"]
    dead = rows["DEAD"]
    assert (dead["state"], dead["reasons"]) == ("offline", ["unreachable"])
    assert dead["tiers"]["picture"] == {"skipped": "not reachable"}
    # One failed check is not an outage yet: the stored state waits for a second one.
    assert dead["stored_state"] == "unknown"
    assert PASSWORD not in json.dumps(out)
    assert quote(PASSWORD, safe="") not in json.dumps(out)

    code, out, err = _check(cli, "--camera", "DEAD", "--tier", "reachability", "--json")
    assert code == 0, err
    assert [(r["camera"], r["stored_state"]) for r in out] == [("DEAD", "offline")]
    assert list(out[0]["tiers"]) == ["reachability"]

    with unit_of_work(session_factory) as s:
        checks = list(s.scalars(select(HealthCheck).order_by(HealthCheck.id)))
    tiers = [c.tier for c in checks]
    # Four probes, pictures of the two reachable cameras, one more probe.
    assert tiers.count(CheckTier.REACHABILITY) == 5
    assert tiers.count(CheckTier.PICTURE) == 2
    snapshots = [c.snapshot_path for c in checks if c.tier is CheckTier.PICTURE and c.snapshot_path]
    assert len(snapshots) == 2 - sum(map(_server_race, rows.values()))
    assert all((tmp_path / "var" / path).is_file() for path in snapshots)


def test_all_checks_every_checked_camera_with_progress_and_a_table(cli: CliRunner) -> None:
    result = cli.invoke(app, ["health", "check", "--all", "--tier", "reachability"])
    assert result.exit_code == 0, result.stderr
    for code in ("OK", "DEAD", "PW", "BADPW"):
        assert code in result.stdout
    assert "PLAN" not in result.stdout
    assert "reachability: 4/4" in result.stderr


def test_a_camera_being_checked_elsewhere_is_skipped(
    cli: CliRunner, session_factory: sessionmaker[Session]
) -> None:
    code, out, err = _check(cli, "--camera", "OK", "--tier", "reachability", "--json")
    assert code == 0, err
    with unit_of_work(session_factory) as s:
        camera_id = s.scalars(select(CameraHealth.camera_id)).one()
        claim_now(s, camera_ids=[camera_id], owner="worker:elsewhere", now=utcnow(), lease_s=300)
    code, out, err = _check(cli, "--camera", "OK", "--json")
    assert code == 0, err
    (row,) = out
    assert row["state"] is None
    assert row["tiers"]["reachability"] == {"skipped": "being checked by worker:elsewhere"}
    assert row["stored_state"] == "online"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--camera", "OK", "--camera", "NOPE", "--camera", "ok"], "'NOPE', 'ok'"),
        (["--camera", "PLAN"], "PLAN (planned)"),
        ([], "--camera CODE"),
        (["--all", "--camera", "OK"], "--camera CODE"),
    ],
)
def test_bad_requests_exit_2_saying_what_to_fix(
    cli: CliRunner, args: list[str], message: str
) -> None:
    code, out, err = _check(cli, *args, "--json")
    assert code == 2
    assert out is None
    assert message in " ".join(err.split())  # the console wraps long lines
