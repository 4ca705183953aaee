"""Turn camera rows into read schemas and change-log snapshots."""

from __future__ import annotations

import json
from typing import Any

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.camera.model import Camera
from camera_registry.camera.schema import PERSONAL_FIELDS, CameraRead

_PLAIN = (
    "code",
    "name",
    "lat",
    "lon",
    "status",
    "address",
    "ward_code",
    "owner_kind",
    "owner_name",
    "owner_phone",
    "owner_email",
    "consent",
    "consent_since",
    "live_access",
    "funding",
    "funder",
    "programme",
    "installed_on",
    "cost_vnd",
    "make",
    "model",
    "serial",
    "stream_url",
    "sub_stream_url",
    "expected_width",
    "expected_height",
    "expected_fps",
    "heading_deg",
    "fov_deg",
    "range_m",
    "fov_explicit",
    "notes",
    "version",
    "created_at",
    "updated_at",
)


def to_read(
    camera: Camera,
    *,
    actor: Actor,
    include_personal: bool = True,
    ward_name: str | None = None,
    distance_m: float | None = None,
) -> CameraRead:
    """Return the camera as the actor may see it (personal data only when allowed and asked)."""
    data: dict[str, Any] = {name: getattr(camera, name) for name in _PLAIN}
    data["tags"] = camera.tag_names
    data["has_credentials"] = camera.credentials_token is not None
    data["fov_polygon"] = json.loads(camera.fov_geojson) if camera.fov_geojson else None
    data["ward_name"] = ward_name
    data["distance_m"] = round(distance_m, 1) if distance_m is not None else None
    has_personal = any(data[f] for f in PERSONAL_FIELDS)
    if has_personal and not (include_personal and actor.can(Permission.OWNER_READ)):
        for name in PERSONAL_FIELDS:
            data[name] = None
        data["personal_data_hidden"] = True
    return CameraRead(**data)


def reveals_personal(read: CameraRead) -> bool:
    """Return True when a read schema carries owner personal data (so the read is audited)."""
    return any(getattr(read, f) for f in PERSONAL_FIELDS)


def snapshot(camera: Camera) -> dict[str, Any]:
    """Return the camera as JSON-safe data for the change log (credentials only as a flag)."""
    data: dict[str, Any] = {}
    for name in _PLAIN:
        if name in ("version", "created_at", "updated_at"):
            continue
        value = getattr(camera, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        if hasattr(value, "value"):
            data[name] = value.value
    data["tags"] = camera.tag_names
    data["fov_polygon"] = (
        json.loads(camera.fov_geojson) if camera.fov_explicit and camera.fov_geojson else None
    )
    data["has_credentials"] = camera.credentials_token is not None
    return data


def mask_personal(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a snapshot with owner personal data replaced by a marker."""
    if data is None:
        return None
    return {k: ("***" if k in PERSONAL_FIELDS and v else v) for k, v in data.items()}
