"""Camera tables."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from camera_registry.db.base import Base
from camera_registry.db.types import UtcDateTime


class CameraStatus(StrEnum):
    """Lifecycle status of a camera."""

    PLANNED = "planned"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    DECOMMISSIONED = "decommissioned"


class OwnerKind(StrEnum):
    """Who owns a camera."""

    PERSON = "person"
    BUSINESS = "business"
    RESIDENTS_GROUP = "residents_group"


class Funding(StrEnum):
    """Who paid for a camera."""

    SOCIAL = "social"
    STATE = "state"
    PRIVATE = "private"


def _enum(enum: type[StrEnum], name: str) -> SqlEnum:
    return SqlEnum(
        enum,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Camera(Base):
    """One registered camera."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte-order collation on PostgreSQL too, so keyset paging by code agrees with Python's order.
    code: Mapped[str] = mapped_column(
        String(32).with_variant(String(32, collation="C"), "postgresql"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    ward_code: Mapped[str | None] = mapped_column(String(32), index=True)

    owner_kind: Mapped[OwnerKind | None] = mapped_column(_enum(OwnerKind, "owner_kind"))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    owner_phone: Mapped[str | None] = mapped_column(String(32))
    owner_email: Mapped[str | None] = mapped_column(String(254))
    consent: Mapped[bool | None] = mapped_column(Boolean)
    consent_since: Mapped[date | None] = mapped_column(Date)
    live_access: Mapped[bool | None] = mapped_column(Boolean)

    funding: Mapped[Funding | None] = mapped_column(_enum(Funding, "funding"))
    funder: Mapped[str | None] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(200))
    installed_on: Mapped[date | None] = mapped_column(Date)
    cost_vnd: Mapped[int | None] = mapped_column(BigInteger)

    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))

    stream_url: Mapped[str | None] = mapped_column(String(500))
    sub_stream_url: Mapped[str | None] = mapped_column(String(500))
    # Fernet token of {"username", "password"}; never returned, exported or logged.
    credentials_token: Mapped[str | None] = mapped_column(Text)
    # What the main stream should deliver; health checks flag a stream unlike this.
    expected_width: Mapped[int | None] = mapped_column(Integer)
    expected_height: Mapped[int | None] = mapped_column(Integer)
    expected_fps: Mapped[float | None] = mapped_column(Float)

    heading_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)
    # The field of view as GeoJSON (computed from heading/angle/range, or given explicitly).
    fov_geojson: Mapped[str | None] = mapped_column(Text)
    fov_explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bounding box of the field of view (or the point) so SQL can prefilter spatial queries.
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)

    status: Mapped[CameraStatus] = mapped_column(
        _enum(CameraStatus, "camera_status"), default=CameraStatus.PLANNED, index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    # Accent-folded, lower-case text of code, name, address and owner for free-text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    tags: Mapped[list[CameraTag]] = relationship(
        back_populates="camera",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CameraTag.tag",
    )

    __table_args__ = (
        Index("ix_cameras_lat_lon", "lat", "lon"),
        Index("ix_cameras_fov_box", "min_lon", "max_lon", "min_lat", "max_lat"),
    )

    @property
    def tag_names(self) -> list[str]:
        """Return the camera's tags, sorted."""
        return sorted(t.tag for t in self.tags)


class CameraTag(Base):
    """A free-form tag on a camera."""

    __tablename__ = "camera_tags"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)

    camera: Mapped[Camera] = relationship(back_populates="tags")
