"""Bulk import and export of cameras as CSV, XLSX or GeoJSON.

Import is all or nothing: every row is parsed and validated first and every problem is
reported with its line (CSV/XLSX: the header is line 1; GeoJSON: the feature number); then
the rows are written inside a SAVEPOINT, and any error raised while writing also rejects the
whole file. Rows are upserted by code: a new code creates a camera, an existing code updates
only the columns that have a value in that row. An empty cell means "not given": on update it
leaves the stored value unchanged (clear a field with `camreg cameras update --set FIELD=`).
A dry run does all of this and then rolls the SAVEPOINT back, so its report is exact.

Export writes the importable columns (never stream credentials); owners' personal data only
for actors allowed to read it, and that read is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.audit.service import append_audit
from camera_registry.camera.filter import CameraFilter
from camera_registry.camera.lifecycle import check_transition
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.query import iter_cameras
from camera_registry.camera.repository import CameraRepository
from camera_registry.camera.schema import PERSONAL_FIELDS
from camera_registry.camera.write import WriteContext
from camera_registry.errors import ImportRejected, InvalidTransition, PermissionDenied, Problems
from camera_registry.transfer.apply import apply_rows
from camera_registry.transfer.columns import TransferFormat, detect_format, export_columns
from camera_registry.transfer.readers import read_table
from camera_registry.transfer.rows import ParsedRow, check_columns, parse_row
from camera_registry.transfer.writers import Record, write_table

__all__ = [
    "ImportReport",
    "TransferFormat",
    "detect_format",
    "export_cameras",
    "import_cameras",
]

Progress = Callable[[int, int], None]


class ImportReport(BaseModel):
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    rows: int
    created: list[str] = Field(default_factory=list, description="Codes of new cameras.")
    updated: list[str] = Field(default_factory=list, description="Codes of changed cameras.")
    unchanged: list[str] = Field(default_factory=list, description="Codes left as they were.")
    warnings: list[str] = Field(default_factory=list)


def _reject(problems: Problems, fmt: TransferFormat) -> None:
    unit = "features" if fmt == TransferFormat.GEOJSON else "rows"
    problems.items.sort(key=lambda p: p.line or 0)
    problems.raise_if_any(ImportRejected, f"import rejected ({unit} at fault), nothing imported")


def _parse(
    content: bytes, fmt: TransferFormat, warnings: list[str]
) -> tuple[list[ParsedRow], Problems]:
    table = read_table(content, fmt)
    problems = Problems(list(table.problems))
    check_columns(table.columns, problems)
    # With a wrong header every row would repeat the same complaint: stop at the header.
    _reject(problems, fmt)
    if not table.rows:
        problems.add("file", "the file has a header but no rows")
        _reject(problems, fmt)
    rows = [parse_row(row, problems, warnings) for row in table.rows]
    unit = "feature" if fmt == TransferFormat.GEOJSON else "line"
    first_line: dict[str, int] = {}
    for row in rows:
        code = row.values.get("code")
        if not isinstance(code, str):
            continue
        if code in first_line:
            problems.add(
                "code", f"{code} appears twice (first on {unit} {first_line[code]})", row.line
            )
        first_line.setdefault(code, row.line)
    return rows, problems


def _check_registry(
    session: Session,
    rows: list[ParsedRow],
    existing: dict[str, Camera],
    ctx: WriteContext,
    problems: Problems,
) -> None:
    """Check what needs the database: ward codes and lifecycle transitions."""
    for row in rows:
        ward, status = row.values.get("ward_code"), row.values.get("status")
        if isinstance(ward, str) and not ctx.ward_known(session, ward):
            problems.add(
                "ward_code",
                f"unknown ward code {ward!r}; import the area file first"
                " (`camreg areas import`) or leave the cell empty",
                row.line,
            )
        camera = existing.get(str(row.values.get("code")))
        if camera is None or status is None:
            continue
        try:
            check_transition(camera.code, camera.status, CameraStatus(status))
        except ValueError:
            continue  # an unknown status is reported by validation already
        except InvalidTransition as exc:
            problems.add("status", exc.message, row.line)


def import_cameras(
    session: Session,
    *,
    content: bytes,
    fmt: TransferFormat,
    actor: Actor,
    ctx: WriteContext,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert cameras by code from a file, all or nothing (ImportRejected lists every problem)."""
    if not actor.can(Permission.CAMERA_WRITE):
        raise PermissionDenied(f"role {actor.role} may not import cameras")
    warnings: list[str] = []
    rows, problems = _parse(content, fmt, warnings)
    codes = [str(row.values["code"]) for row in rows if "code" in row.values]
    existing = CameraRepository(session).get_many(codes)
    _check_registry(session, rows, existing, ctx, problems)
    _reject(problems, fmt)
    report = ImportReport(dry_run=dry_run, rows=len(rows), warnings=warnings)
    outcome = apply_rows(
        session,
        rows=[valid for row in rows if (valid := row.valid()) is not None],
        existing=existing,
        actor=actor,
        ctx=ctx,
        dry_run=dry_run,
        progress=progress,
    )
    _reject(outcome.problems, fmt)
    report.created, report.updated = outcome.created, outcome.updated
    report.unchanged, report.warnings = outcome.unchanged, warnings + outcome.warnings
    append_audit(
        session,
        actor=actor,
        action="camera.import",
        target=f"{len(rows)} cameras",
        details={
            "format": fmt.value,
            "rows": len(rows),
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "dry_run": dry_run,
        },
    )
    return report


def _explicit_fov(camera: Camera) -> dict[str, Any] | None:
    if camera.fov_explicit and camera.fov_geojson:
        data: dict[str, Any] = json.loads(camera.fov_geojson)
        return data
    return None


def _record(camera: Camera, columns: tuple[str, ...]) -> Record:
    record: Record = {}
    for name in columns:
        if name == "tags":
            record[name] = camera.tag_names
        elif name == "fov_polygon":
            # Only a polygon given explicitly; a sector is derived again from heading/fov/range.
            record[name] = _explicit_fov(camera)
        else:
            value: Any = getattr(camera, name)
            record[name] = value.value if isinstance(value, StrEnum) else value
    return record


def export_cameras(
    session: Session, *, query: CameraFilter, actor: Actor, fmt: TransferFormat
) -> bytes:
    """Return the matching cameras as a file that import reads back (never credentials)."""
    if not actor.can(Permission.CAMERA_READ):
        raise PermissionDenied(f"role {actor.role} may not export cameras")
    personal = actor.can(Permission.OWNER_READ)
    columns = export_columns(personal=personal)
    cameras = [match.camera for match in iter_cameras(session, query=query, actor=actor)]
    content = write_table([_record(c, columns) for c in cameras], columns, fmt)
    append_audit(
        session,
        actor=actor,
        action="camera.export",
        target=f"{len(cameras)} cameras",
        details={
            "format": fmt.value,
            "filter": query.model_dump(mode="json", exclude_defaults=True),
            "count": len(cameras),
            "personal_data": personal,
        },
    )
    revealed = [c.code for c in cameras if any(getattr(c, f) for f in PERSONAL_FIELDS)]
    if personal and revealed:
        append_audit(
            session,
            actor=actor,
            action="camera.personal_data.read",
            target=f"{len(revealed)} cameras",
            details={"cameras": revealed, "via": "export"},
        )
    return content
