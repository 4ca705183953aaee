"""Roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """Things a caller may be allowed to do."""

    CAMERA_READ = "camera:read"
    CAMERA_WRITE = "camera:write"
    OWNER_READ = "owner:read"
    AREA_READ = "area:read"
    AREA_WRITE = "area:write"
    HISTORY_READ = "history:read"
    ACCOUNT_ADMIN = "account:admin"
    AUDIT_READ = "audit:read"
    EVENT_READ = "event:read"  # motion events, coverage and thumbnails
    CLIP_EXPORT = "clip:export"  # video cut from the recordings
    HEALTH_READ = "health:read"  # camera states, check history, snapshots, availability
    HEALTH_MANAGE = "health:manage"  # run checks, set reference pictures, manage webhooks


class Role(StrEnum):
    """The five roles of camreg."""

    ADMIN = "admin"
    TECHNICIAN = "technician"
    INVESTIGATOR = "investigator"
    INTEGRATION = "integration"
    AUDITOR = "auditor"

    def grants(self, permission: str) -> bool:
        """Return True when this role grants the permission."""
        return permission in _GRANTS[self]


_EVERYONE = {Permission.CAMERA_READ, Permission.AREA_READ}
_GRANTS: dict[Role, set[str]] = {
    Role.ADMIN: {str(p) for p in Permission},
    # Technicians install and maintain cameras and talk to owners.
    # They check that cameras record (events and coverage) but take no footage away.
    Role.TECHNICIAN: _EVERYONE
    | {
        Permission.CAMERA_WRITE,
        Permission.OWNER_READ,
        Permission.HISTORY_READ,
        Permission.EVENT_READ,
        Permission.HEALTH_READ,
        Permission.HEALTH_MANAGE,
    },
    # Investigators ask owners for footage, so they see contact data; every read is audited.
    Role.INVESTIGATOR: _EVERYONE
    | {
        Permission.OWNER_READ,
        Permission.HISTORY_READ,
        Permission.EVENT_READ,
        Permission.CLIP_EXPORT,
        Permission.HEALTH_READ,
    },
    # Case systems locate cameras and fetch evidence; they get no owners' personal data.
    # Investigators and case systems need to know whether a camera worked at a given moment.
    Role.INTEGRATION: _EVERYONE
    | {Permission.EVENT_READ, Permission.CLIP_EXPORT, Permission.HEALTH_READ},
    Role.AUDITOR: _EVERYONE | {Permission.AUDIT_READ, Permission.HISTORY_READ},
}
