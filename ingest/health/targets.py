"""What checks need of cameras: URL, decrypted credentials, expectations, reference picture."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.camera.model import Camera
from camera_registry.crypto import CredentialCipher
from ingest.health.model import CameraHealth
from ingest.health.results import ProbeTarget
from ingest.health.schedule import checked

log = logging.getLogger(__name__)


def probe_targets(
    session: Session,
    *,
    camera_ids: Collection[int],
    cipher: CredentialCipher | None,
    data_dir: Path,
) -> list[ProbeTarget]:
    """Return probe targets of the given checked cameras, by code.

    Credentials are decrypted only in memory, with the key the worker streams with; they stay
    out of the URL (stored URLs never carry them). Credentials that cannot be decrypted are left
    out, so the probe reports what the camera says to an anonymous client (usually auth_failed),
    and a log line says why.
    """
    stmt = (
        select(Camera, CameraHealth.reference_path)
        .outerjoin(CameraHealth, CameraHealth.camera_id == Camera.id)
        .where(Camera.id.in_(list(camera_ids)), checked())
        .order_by(Camera.code)
    )
    targets = []
    for camera, reference in session.execute(stmt):
        username = password = problem = None
        if camera.credentials_token:
            try:
                if cipher is None:
                    raise ValueError("no credentials key")
                credentials = cipher.decrypt(camera.credentials_token)
                username, password = credentials.username, credentials.password
            except ValueError as exc:
                problem = f"{exc}; check credentials_key or store the credentials again"
                log.error("health: camera %s credentials not usable: %s", camera.code, exc)
        assert camera.stream_url is not None  # checked() requires one
        targets.append(
            ProbeTarget(
                camera_id=camera.id,
                code=camera.code,
                url=camera.stream_url,
                username=username,
                password=password,
                expected_width=camera.expected_width,
                expected_height=camera.expected_height,
                expected_fps=camera.expected_fps,
                reference_path=str(data_dir / reference) if reference else None,
                credentials_problem=problem,
            )
        )
    return targets
