"""Who is acting: a person, an API client, the CLI or the scheduler, with role and scope."""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass, field

from camera_registry.account.role import Role


@dataclass(frozen=True)
class Scope:
    """Restriction of an API key or user to some wards or cameras; empty means everything."""

    ward_codes: frozenset[str] = field(default_factory=frozenset)
    camera_codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def unrestricted(self) -> bool:
        """Return True when the scope allows every camera."""
        return not self.ward_codes and not self.camera_codes

    def allows(self, camera_code: str, ward_code: str | None) -> bool:
        """Return True when a camera with this code and ward is inside the scope."""
        if self.unrestricted:
            return True
        return camera_code in self.camera_codes or (
            ward_code is not None and ward_code in self.ward_codes
        )

    def as_dict(self) -> dict[str, list[str]]:
        """Return the scope as plain data."""
        return {"wards": sorted(self.ward_codes), "cameras": sorted(self.camera_codes)}


@dataclass(frozen=True)
class Actor:
    """The identity recorded in the change and audit logs for one request, job or command."""

    name: str
    role: Role
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = "local"
    scope: Scope = field(default_factory=Scope)
    case_number: str | None = None

    def can(self, permission: str) -> bool:
        """Return True when the actor's role grants the permission."""
        return self.role.grants(permission)


def cli_actor() -> Actor:
    """Return the local operator: `cli:<os user>` with the admin role."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(name=f"cli:{user}", role=Role.ADMIN, source="cli")


SCHEDULER = Actor(name="scheduler", role=Role.ADMIN, source="scheduler")
