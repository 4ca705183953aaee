"""Area schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from camera_registry.area.model import AreaLevel


class AreaRead(BaseModel):
    """An area as callers see it."""

    code: str
    name: str
    level: AreaLevel
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    official: bool = Field(False, description="Name and code match the official register.")
    replaced_by: list[str] = Field(default_factory=list)
    replaces: list[str] = Field(default_factory=list)
    geometry: dict[str, Any] | None = None


class AreaImportReport(BaseModel):
    """What an area import did (or would do, in a dry run)."""

    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    successions: int = 0
    cameras_assigned: int = 0
    warnings: list[str] = Field(default_factory=list)
