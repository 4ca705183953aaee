"""Probe targets: which cameras, credentials decrypted only in memory, expectations, reference."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from camera_registry.camera.write import WriteContext
from camera_registry.clock import utcnow
from camera_registry.crypto import CredentialCipher
from camera_registry.db.unit_of_work import unit_of_work
from config.settings import HealthSettings
from ingest.health.model import CameraHealth
from ingest.health.schedule import ensure_health_rows
from ingest.health.targets import probe_targets
from tests.builders import make_camera

URL = "rtsp://cam.invalid/main"


def test_targets_carry_decrypted_credentials_outside_the_url(
    session_factory: sessionmaker[Session], cipher: CredentialCipher, tmp_path: Path
) -> None:
    ctx = WriteContext(cipher=cipher)
    with unit_of_work(session_factory) as s:
        ids = [
            make_camera(
                s,
                ctx=ctx,
                code="AUTH",
                status="active",
                stream_url="rtsp://admin:pa%3Ass@cam.invalid/main",
                expected_width=1280,
                expected_height=720,
                expected_fps=12.5,
            ).id,
            make_camera(s, code="FIX", status="maintenance", stream_url=URL).id,
            make_camera(s, code="PLAN", status="planned", stream_url=URL).id,
            make_camera(s, code="GONE", status="decommissioned", stream_url=URL).id,
            make_camera(s, code="NOURL", status="active").id,
        ]
        ensure_health_rows(s, settings=HealthSettings(), now=utcnow(), camera_ids=[ids[1]])
        row = s.get(CameraHealth, ids[1])
        assert row is not None
        row.reference_path = "health/references/FIX.jpg"
    with unit_of_work(session_factory) as s:
        targets = probe_targets(s, camera_ids=ids, cipher=cipher, data_dir=tmp_path)
    assert [t.code for t in targets] == ["AUTH", "FIX"]
    auth, fix = targets
    assert (auth.url, auth.username, auth.password) == (URL, "admin", "pa:ss")
    assert (auth.expected_width, auth.expected_height, auth.expected_fps) == (1280, 720, 12.5)
    assert "pa:ss" not in repr(auth)
    assert auth.reference_path is None
    assert fix.reference_path == str(tmp_path / "health/references/FIX.jpg")
    assert (fix.username, fix.password) == (None, None)


def test_credentials_under_another_key_are_left_out(
    session_factory: sessionmaker[Session], cipher: CredentialCipher, tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as s:
        camera_id = make_camera(
            s,
            ctx=WriteContext(cipher=cipher),
            code="AUTH",
            status="active",
            stream_url="rtsp://admin:secret@cam.invalid/main",
        ).id
    other = CredentialCipher(Fernet.generate_key())
    with unit_of_work(session_factory) as s:
        (target,) = probe_targets(s, camera_ids=[camera_id], cipher=other, data_dir=tmp_path)
        (keyless,) = probe_targets(s, camera_ids=[camera_id], cipher=None, data_dir=tmp_path)
    assert (target.username, target.password) == (None, None)
    assert (keyless.username, keyless.password) == (None, None)
    assert target.credentials_problem is not None
    assert "cannot be decrypted" in target.credentials_problem
    assert "credentials_key" in target.credentials_problem
    assert keyless.credentials_problem is not None
    assert "secret" not in f"{target.credentials_problem} {keyless.credentials_problem}"
    assert target.url == URL
