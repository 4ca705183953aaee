"""Area tables."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column

from camera_registry.db.base import Base
from camera_registry.db.types import UtcDateTime


class AreaLevel(StrEnum):
    """Administrative level of an area."""

    PROVINCE = "province"
    DISTRICT = "district"
    WARD = "ward"
    CUSTOM = "custom"


class Area(Base):
    """A named polygon valid over a period; codes may be reused by later units."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[AreaLevel] = mapped_column(
        SqlEnum(
            AreaLevel,
            name="area_level",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    parent_code: Mapped[str | None] = mapped_column(String(32))
    # Inclusive validity dates; None means open-ended.
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    geometry_geojson: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_areas_code_valid_from"),)


class AreaSuccession(Base):
    """An old unit replaced (wholly or partly) by a new one on a date."""

    __tablename__ = "area_successions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_code: Mapped[str] = mapped_column(String(32), index=True)
    new_code: Mapped[str] = mapped_column(String(32), index=True)
    effective_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("old_code", "new_code", "effective_on", name="uq_area_successions_pair"),
    )
