"""Create, update and retire cameras; every write is change-logged in the same transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.area.layer import AreaLayer
from camera_registry.area.official import is_official_ward
from camera_registry.area.repository import AreaRepository
from camera_registry.camera.lifecycle import check_transition
from camera_registry.camera.model import Camera, CameraStatus, CameraTag
from camera_registry.camera.present import snapshot
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.schema import CameraCreate, CameraFields, CameraUpdate
from camera_registry.changelog.service import record_change
from camera_registry.clock import utcnow
from camera_registry.crypto import CredentialCipher, StreamCredentials
from camera_registry.errors import (
    CameraNotFound,
    DuplicateCameraCode,
    InvalidArea,
    InvalidInput,
    PermissionDenied,
    StaleVersion,
)
from camera_registry.geo.fov import fov_sector
from camera_registry.geo.polygon import from_geojson_text, parse_polygon, to_geojson
from camera_registry.text import fold


@dataclass
class WriteContext:
    """What camera writes need besides the session: the cipher and the ward layer."""

    cipher: CredentialCipher | None
    layer: AreaLayer | None = None
    known_ward_codes: set[str] | None = None

    def ensure_layer(self, session: Session) -> AreaLayer:
        """Load today's ward layer once."""
        if self.layer is None:
            self.layer = AreaLayer.load(session, utcnow().date())
        return self.layer

    def ward_known(self, session: Session, code: str) -> bool:
        """Return True when the ward code exists in the area layer (any period) or officially."""
        if self.known_ward_codes is None:
            self.known_ward_codes = {a.code for a in AreaRepository(session).all()}
        return code in self.known_ward_codes or is_official_ward(code)


@dataclass
class WriteResult:
    """A written camera and the warnings the write raised."""

    camera: Camera
    warnings: list[str] = field(default_factory=list)


def split_url_credentials(url: str | None) -> tuple[str | None, StreamCredentials | None]:
    """Return the URL without user:password, and the credentials it carried."""
    if not url:
        return url, None
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    creds = StreamCredentials(unquote(parts.username), unquote(parts.password or ""))
    return clean, creds


def _require_write(actor: Actor, code: str, ward_code: str | None) -> None:
    if not actor.can(Permission.CAMERA_WRITE):
        raise PermissionDenied(f"role {actor.role} may not change cameras")
    if not actor.scope.allows(code, ward_code):
        raise PermissionDenied(f"camera {code} is outside your scope")


def _apply(
    session: Session, camera: Camera, data: CameraFields, ctx: WriteContext, fields: set[str]
) -> list[str]:
    """Copy the given fields onto the row and derive what follows from them."""
    warnings: list[str] = []
    plain = fields - {
        "stream_username",
        "stream_password",
        "fov_polygon",
        "tags",
        "code",
    }
    for name in plain:
        setattr(camera, name, getattr(data, name))
    creds: StreamCredentials | None = None
    for url_field in ("stream_url", "sub_stream_url"):
        if url_field in fields:
            clean, found = split_url_credentials(getattr(data, url_field))
            setattr(camera, url_field, clean)
            creds = creds or found
    if "stream_username" in fields or "stream_password" in fields:
        user = data.stream_username.get_secret_value() if data.stream_username else ""
        password = data.stream_password.get_secret_value() if data.stream_password else ""
        creds = StreamCredentials(user, password) if (user or password) else None
        if creds is None:
            camera.credentials_token = None
    if creds is not None:
        if ctx.cipher is None:
            raise InvalidInput("stream credentials given but no encryption key is configured")
        camera.credentials_token = ctx.cipher.encrypt(creds)
    if "tags" in fields:
        wanted = set(data.tags or [])
        camera.tags = [t for t in camera.tags if t.tag in wanted] + [
            CameraTag(tag=t) for t in sorted(wanted - {t.tag for t in camera.tags})
        ]
    if "fov_polygon" in fields:
        if data.fov_polygon:
            shape = parse_polygon(data.fov_polygon, what="fov_polygon")
            camera.fov_geojson = json.dumps(to_geojson(shape))
            camera.fov_explicit = True
        else:
            camera.fov_explicit = False
    warnings += _derive(session, camera, ctx, ward_given="ward_code" in fields and data.ward_code)
    return warnings


def _derive(session: Session, camera: Camera, ctx: WriteContext, ward_given: Any) -> list[str]:
    warnings: list[str] = []
    if not camera.fov_explicit:
        if camera.heading_deg is not None and camera.fov_deg and camera.range_m:
            shape = fov_sector(
                camera.lat, camera.lon, camera.heading_deg, camera.fov_deg, camera.range_m
            )
            camera.fov_geojson = json.dumps(to_geojson(shape))
        else:
            camera.fov_geojson = None
    if camera.fov_geojson:
        west, south, east, north = from_geojson_text(camera.fov_geojson).bounds
        camera.min_lon, camera.min_lat = min(west, camera.lon), min(south, camera.lat)
        camera.max_lon, camera.max_lat = max(east, camera.lon), max(north, camera.lat)
    else:
        camera.min_lon = camera.max_lon = camera.lon
        camera.min_lat = camera.max_lat = camera.lat
    layer = ctx.ensure_layer(session)
    containing = layer.containing(camera.lat, camera.lon)
    if ward_given:
        if not ctx.ward_known(session, camera.ward_code or ""):
            raise InvalidArea(
                f"unknown ward code {camera.ward_code!r}; import the area file or leave it empty"
            )
        if containing is not None and containing.code != camera.ward_code:
            warnings.append(
                f"camera {camera.code}: ward {camera.ward_code} given, but the position lies in "
                f"{containing.code} ({containing.name})"
            )
    elif camera.ward_code is None and containing is not None:
        camera.ward_code = containing.code
    camera.search_text = fold(
        " ".join(
            filter(
                None,
                [
                    camera.code,
                    camera.name,
                    camera.address,
                    layer.name_of(camera.ward_code),
                    camera.ward_code,
                    camera.funder,
                    camera.programme,
                    camera.make,
                    camera.model,
                    " ".join(camera.tag_names),
                ],
            )
        )
    )
    return warnings


def create_camera(
    session: Session, *, data: CameraCreate, actor: Actor, ctx: WriteContext
) -> WriteResult:
    """Register a new camera."""
    _require_write(actor, data.code, data.ward_code)
    repo = CameraRepository(session)
    if repo.get(data.code) is not None:
        raise DuplicateCameraCode(f"camera {data.code} exists already; use update")
    now = utcnow()
    camera = Camera(
        code=data.code,
        status=CameraStatus.PLANNED,
        version=1,
        created_at=now,
        updated_at=now,
        tags=[],
        fov_explicit=False,
    )
    fields = set(CameraFields.model_fields) & (data.model_fields_set | {"name", "lat", "lon"})
    warnings = _apply(session, camera, data, ctx, fields)
    camera.status = data.status or CameraStatus.PLANNED
    repo.add(camera)
    session.flush()
    after = snapshot(camera)
    record_change(
        session,
        actor=actor,
        entity="camera",
        key=camera.code,
        action="create",
        before=None,
        after=after,
    )
    return WriteResult(camera, warnings)


def load_for_write(session: Session, code: str, actor: Actor, if_version: int | None) -> Camera:
    """Return a camera the actor may change, checking the expected version."""
    camera = CameraRepository(session).get(code)
    if camera is None or not actor.scope.allows(code, camera.ward_code):
        raise CameraNotFound(f"no camera {code}")
    _require_write(actor, code, camera.ward_code)
    if if_version is not None and camera.version != if_version:
        raise StaleVersion(
            f"camera {code} changed since you read it (now version {camera.version}); reload it"
        )
    return camera


def update_camera(
    session: Session,
    *,
    code: str,
    data: CameraUpdate,
    actor: Actor,
    ctx: WriteContext,
    if_version: int | None = None,
) -> WriteResult:
    """Change the fields sent in `data`; a status change must be an allowed transition."""
    camera = load_for_write(session, code, actor, if_version)
    before = snapshot(camera)
    if data.status is not None:
        check_transition(code, camera.status, data.status)
    fields = data.model_fields_set & set(CameraFields.model_fields)
    warnings = _apply(session, camera, data, ctx, fields)
    after = snapshot(camera)
    creds_changed = bool(fields & {"stream_username", "stream_password"}) or (
        before["has_credentials"] != after["has_credentials"]
    )
    if after != before or creds_changed:
        camera.version += 1
        camera.updated_at = utcnow()
        if creds_changed:
            after = {**after, "credentials_changed": True}
        record_change(
            session,
            actor=actor,
            entity="camera",
            key=code,
            action="update",
            before=before,
            after=after,
        )
    session.flush()
    return WriteResult(camera, warnings)


def set_status(
    session: Session,
    *,
    code: str,
    status: CameraStatus,
    actor: Actor,
    reason: str | None = None,
    if_version: int | None = None,
) -> Camera:
    """Move a camera along its lifecycle (retiring is `decommissioned`)."""
    camera = load_for_write(session, code, actor, if_version)
    check_transition(code, camera.status, status)
    if camera.status == status:
        return camera
    before = snapshot(camera)
    camera.status = status
    camera.version += 1
    camera.updated_at = utcnow()
    after = snapshot(camera)
    if reason:
        after["reason"] = reason
    record_change(
        session,
        actor=actor,
        entity="camera",
        key=code,
        action=f"status:{status}",
        before=before,
        after=after,
    )
    session.flush()
    return camera
