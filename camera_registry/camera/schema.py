"""Camera schemas: what callers send and receive (tables may change beneath them)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from camera_registry.camera.model import CameraStatus, Funding, OwnerKind
from camera_registry.geo.polygon import inside_vietnam

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{6,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")
MIN_PIXELS, MAX_PIXELS = 16, 16384
MIN_FPS, MAX_FPS = 0.5, 120.0


def check_position(lat: float, lon: float) -> None:
    """Raise ValueError when a position is outside Vietnam, naming a likely swap."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("lat and lon must be finite numbers")
    if inside_vietnam(lat, lon):
        return
    if inside_vietnam(lon, lat):
        raise ValueError(
            f"lat {lat} and lon {lon} look swapped: in Vietnam latitude is about 8 to 23"
            " and longitude about 102 to 117"
        )
    raise ValueError(f"position {lat}, {lon} is outside Vietnam; check lat and lon")


class CameraFields(BaseModel):
    """Fields shared by create and update; every one optional here."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200, examples=["Ngã tư Ba Cu"])
    lat: float | None = Field(None, description="WGS84 latitude.", examples=[10.3461])
    lon: float | None = Field(None, description="WGS84 longitude.", examples=[107.0843])
    address: str | None = Field(None, max_length=300, examples=["12 Ba Cu, Phường Vũng Tàu"])
    ward_code: str | None = Field(
        None, max_length=32, description="Official ward code; derived from the position if absent."
    )
    owner_kind: OwnerKind | None = None
    owner_name: str | None = Field(None, max_length=200, description="Personal data.")
    owner_phone: str | None = Field(None, max_length=32, description="Personal data.")
    owner_email: str | None = Field(None, max_length=254, description="Personal data.")
    consent: bool | None = Field(None, description="The owner agrees that footage is requested.")
    consent_since: date | None = None
    live_access: bool | None = Field(None, description="The owner allows live viewing.")
    funding: Funding | None = None
    funder: str | None = Field(None, max_length=200)
    programme: str | None = Field(None, max_length=200)
    installed_on: date | None = None
    cost_vnd: int | None = Field(None, ge=0, le=10_000_000_000)
    make: str | None = Field(None, max_length=100)
    model: str | None = Field(None, max_length=100)
    serial: str | None = Field(None, max_length=100)
    stream_url: str | None = Field(None, max_length=500, examples=["rtsp://cam-0001.invalid/main"])
    sub_stream_url: str | None = Field(None, max_length=500)
    stream_username: SecretStr | None = Field(None, description="Write-only.")
    stream_password: SecretStr | None = Field(None, description="Write-only.")
    expected_width: int | None = Field(
        None,
        ge=MIN_PIXELS,
        le=MAX_PIXELS,
        description="Main stream width in pixels; health checks flag another size.",
        examples=[1920],
    )
    expected_height: int | None = Field(
        None,
        ge=MIN_PIXELS,
        le=MAX_PIXELS,
        description="Main stream height in pixels; give it with expected_width.",
        examples=[1080],
    )
    expected_fps: float | None = Field(
        None,
        ge=MIN_FPS,
        le=MAX_FPS,
        description="Main stream frames per second; health checks flag another rate.",
        examples=[25],
    )
    heading_deg: float | None = Field(None, ge=0, lt=360, description="0 = north, clockwise.")
    fov_deg: float | None = Field(None, gt=0, le=360, description="Opening angle.")
    range_m: float | None = Field(None, gt=0, le=2000, description="How far it sees usefully.")
    fov_polygon: dict[str, Any] | None = Field(
        None, description="Explicit field of view (GeoJSON Polygon, lon/lat); wins over the sector."
    )
    status: CameraStatus | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=4000)

    @field_validator("owner_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise ValueError("phone must be digits, optionally with +, spaces, dots or dashes")
        return value or None

    @field_validator("owner_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value or None

    @field_validator("stream_url", "sub_stream_url")
    @classmethod
    def _stream(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(_STREAM_SCHEMES):
            raise ValueError("stream URL must start with rtsp://, rtsps://, http(s):// or rtmp://")
        return value or None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for tag in value:
            if "," in tag or ";" in tag:
                raise ValueError(f"tag {tag!r} may not contain , or ;")
        return sorted(set(value))

    def _check_resolution(self) -> None:
        """Refuse a width without a height (or the reverse): a size is both or neither."""
        sent = {"expected_width", "expected_height"} & self.model_fields_set
        if len(sent) == 1:
            raise ValueError(
                "send expected_width and expected_height together (e.g. 1920 and 1080),"
                " or both empty to clear the size"
            )
        if (self.expected_width is None) != (self.expected_height is None):
            raise ValueError(
                "expected_width and expected_height must both have a value or both be empty"
            )


class CameraCreate(CameraFields):
    """A new camera: code, name and position are required."""

    code: Code = Field(examples=["VT-0001"], description="1–32 letters, digits, - or _.")
    name: str = Field(min_length=1, max_length=200, examples=["Ngã tư Ba Cu"])
    lat: float = Field(examples=[10.3461], description="WGS84 latitude (inside Vietnam).")
    lon: float = Field(examples=[107.0843], description="WGS84 longitude (inside Vietnam).")

    @model_validator(mode="after")
    def _position(self) -> Self:
        check_position(self.lat, self.lon)
        self._check_resolution()
        return self


class CameraUpdate(CameraFields):
    """A partial update: only the fields sent change; send null to clear an optional field."""

    @field_validator("lat", "lon")
    @classmethod
    def _keep_position(cls, value: float | None) -> float | None:
        # Defaults are not validated, so this only fires when null is sent explicitly.
        if value is None:
            raise ValueError("cannot be cleared; a camera keeps a position")
        return value

    @model_validator(mode="after")
    def _position(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("send lat and lon together")
        if self.lat is not None and self.lon is not None:
            check_position(self.lat, self.lon)
        for required in ("name", "status"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be cleared")
        self._check_resolution()
        return self


class CameraRead(BaseModel):
    """A camera as callers see it; owner personal data only for roles that may see it."""

    code: str
    name: str
    lat: float
    lon: float
    status: CameraStatus
    address: str | None = None
    ward_code: str | None = None
    ward_name: str | None = None
    owner_kind: OwnerKind | None = None
    owner_name: str | None = None
    owner_phone: str | None = None
    owner_email: str | None = None
    personal_data_hidden: bool = False
    consent: bool | None = None
    consent_since: date | None = None
    live_access: bool | None = None
    funding: Funding | None = None
    funder: str | None = None
    programme: str | None = None
    installed_on: date | None = None
    cost_vnd: int | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    stream_url: str | None = None
    sub_stream_url: str | None = None
    has_credentials: bool = False
    expected_width: int | None = None
    expected_height: int | None = None
    expected_fps: float | None = None
    heading_deg: float | None = None
    fov_deg: float | None = None
    range_m: float | None = None
    fov_polygon: dict[str, Any] | None = None
    fov_explicit: bool = False
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = Field(None, description="Only with a radius query.")


PERSONAL_FIELDS = ("owner_name", "owner_phone", "owner_email")
