"""Import every table so metadata (and Alembic) sees all of them."""

from camera_registry.account.model import ApiKey, User, WebSession
from camera_registry.area.model import Area, AreaSuccession
from camera_registry.audit.model import AuditEntry
from camera_registry.camera.model import Camera, CameraTag
from camera_registry.changelog.model import ChangeRecord
from camera_registry.db.base import Base

__all__ = [
    "ApiKey",
    "Area",
    "AreaSuccession",
    "AuditEntry",
    "Base",
    "Camera",
    "CameraTag",
    "ChangeRecord",
    "User",
    "WebSession",
]
