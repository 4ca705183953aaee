"""Schemas of users and API keys: what admins send and see (never hashes or secrets)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from camera_registry.account.role import Role
from camera_registry.actor import Scope
from camera_registry.camera.schema import Code

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
MAX_GRACE_MINUTES = 7 * 24 * 60


class ScopeData(BaseModel):
    """Wards and cameras a user or key is restricted to; both empty means everything."""

    model_config = ConfigDict(extra="forbid")

    wards: list[Code] = Field(default_factory=list, examples=[["26506"]])
    cameras: list[Code] = Field(default_factory=list, examples=[["VT-0001"]])

    @field_validator("wards", "cameras")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    def to_scope(self) -> Scope:
        """Return the scope the actor carries."""
        return Scope(ward_codes=frozenset(self.wards), camera_codes=frozenset(self.cameras))


class UserCreate(BaseModel):
    """A new person who logs in to the web page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: Username = Field(
        examples=["nguyen.an"], description="1–64 letters, digits, '.', '-' or '_'."
    )
    display_name: str = Field("", max_length=200, examples=["Nguyễn Văn An"])
    role: Role = Field(examples=["technician"])
    password: SecretStr = Field(description="Write-only; the minimum length is configured.")
    scope: ScopeData = Field(default_factory=ScopeData)


class UserUpdate(BaseModel):
    """Changes to a user; only the fields sent change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: str | None = Field(None, max_length=200)
    role: Role | None = None
    disabled: bool | None = Field(None, description="Disabling also ends the user's sessions.")
    password: SecretStr | None = Field(None, description="Write-only: set a new password.")
    scope: ScopeData | None = None


class UserRead(BaseModel):
    """A user as admins see it."""

    username: str
    display_name: str
    role: Role
    disabled: bool
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    scope: ScopeData
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(BaseModel):
    """A new bearer key for a case-management system or another integration."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, examples=["Case system, district police"])
    role: Role = Field(Role.INTEGRATION, examples=["integration"])
    scope: ScopeData = Field(default_factory=ScopeData)
    expires_at: datetime | None = Field(
        None, description="When the key stops working (with a time zone); none = never."
    )

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("give the expiry with a time zone, e.g. 2027-01-31T23:59:59+07:00")
        return value


class ApiKeyRotate(BaseModel):
    """How long the old secret keeps working after a rotation."""

    model_config = ConfigDict(extra="forbid")

    grace_minutes: int = Field(
        0,
        ge=0,
        le=MAX_GRACE_MINUTES,
        description="0 stops the old secret at once; at most 7 days.",
    )


class ApiKeyRead(BaseModel):
    """An API key as admins see it: never the secret."""

    id: str = Field(examples=["3f9c2a7b1d04"])
    name: str
    role: Role
    scope: ScopeData
    state: Literal["active", "revoked", "expired"]
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    rotated_from: str | None = None


class ApiKeyIssued(ApiKeyRead):
    """A key just created or rotated: `key` is shown this once and never again."""

    key: str = Field(
        description="The bearer key, `camreg_<id>_<secret>`; store it now.",
        examples=["camreg_3f9c2a7b1d04_Zq9...secret..."],
    )
