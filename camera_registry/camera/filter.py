"""CameraFilter: one typed filter shared by the API, the CLI, export and jobs."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from camera_registry.camera.model import CameraStatus, Funding


class PlaceMatch(StrEnum):
    """How a camera is matched against a place."""

    POSITION = "position"  # the camera stands inside the place
    VIEW = "view"  # its field of view (or position when it has none) touches the place


class CameraFilter(BaseModel):
    """Which cameras to list; every criterion given must hold."""

    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(default_factory=list, description="Only these camera codes.")
    ward: str | None = Field(None, description="Ward or area code.")
    at: date | None = Field(
        None, description="Day at which the ward layer is taken (default today)."
    )
    area: dict[str, Any] | None = Field(None, description="GeoJSON Polygon (lon/lat).")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="West, south, east, north in degrees."
    )
    near: tuple[float, float] | None = Field(None, description="Latitude, longitude.")
    radius_m: float | None = Field(None, gt=0, le=100_000, description="Radius around `near`.")
    sees: tuple[float, float] | None = Field(
        None, description="Latitude, longitude of a point the camera's field of view must cover."
    )
    q: str | None = Field(None, max_length=200, description="Free text, accent-insensitive.")
    status: list[CameraStatus] = Field(default_factory=list)
    funding: list[Funding] = Field(default_factory=list)
    consent: bool | None = None
    tags: list[str] = Field(default_factory=list, description="Cameras carrying all these tags.")
    match: PlaceMatch = Field(PlaceMatch.POSITION, description="How places match cameras.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.near is None) != (self.radius_m is None):
            raise ValueError("near and radius go together")
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (west < east and south < north):
                raise ValueError("bbox is west,south,east,north with west < east and south < north")
        return self

    @property
    def has_exact_geometry(self) -> bool:
        """Return True when rows must be checked in Python after the SQL prefilter."""
        return bool(
            self.area is not None
            or self.near is not None
            or self.sees is not None
            or (self.ward and (self.at is not None or self.match == PlaceMatch.VIEW))
            or (self.bbox is not None and self.match == PlaceMatch.VIEW)
        )
