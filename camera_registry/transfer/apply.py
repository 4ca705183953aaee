"""Write validated import rows inside one SAVEPOINT: kept on success, rolled back otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.camera.model import Camera
from camera_registry.camera.schema import CameraUpdate
from camera_registry.camera.write import WriteContext, create_camera, update_camera
from camera_registry.errors import (
    CamregError,
    DuplicateCameraCode,
    InvalidArea,
    InvalidTransition,
    Problems,
)
from camera_registry.transfer.columns import CREDENTIAL_COLUMNS
from camera_registry.transfer.rows import ValidRow


@dataclass
class ApplyOutcome:
    """Codes by what happened to them, warnings, and problems raised while writing."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def _field_of(exc: CamregError) -> str:
    if exc.problems:
        return exc.problems[0].field
    if isinstance(exc, InvalidTransition):
        return "status"
    if isinstance(exc, InvalidArea):
        return "ward_code" if "ward" in exc.message else "fov_polygon"
    if isinstance(exc, DuplicateCameraCode):
        return "code"
    if "credentials" in exc.message:
        return "stream_password"
    return "code"


def _same_credentials(camera: Camera, row: ValidRow, ctx: WriteContext) -> bool:
    """Return True when the row repeats the stored credentials (so they are not a change)."""
    if ctx.cipher is None or camera.credentials_token is None:
        return False
    try:
        stored = ctx.cipher.decrypt(camera.credentials_token)
    except ValueError:
        return False
    user = row.data.stream_username.get_secret_value() if row.data.stream_username else ""
    password = row.data.stream_password.get_secret_value() if row.data.stream_password else ""
    return (stored.username, stored.password) == (user, password)


def _update_data(camera: Camera, row: ValidRow, ctx: WriteContext) -> CameraUpdate:
    given = set(row.given) - {"code"}
    if given & set(CREDENTIAL_COLUMNS) and _same_credentials(camera, row, ctx):
        given -= set(CREDENTIAL_COLUMNS)
    return CameraUpdate(**{name: getattr(row.data, name) for name in given})


def apply_rows(
    session: Session,
    *,
    rows: list[ValidRow],
    existing: dict[str, Camera],
    actor: Actor,
    ctx: WriteContext,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> ApplyOutcome:
    """Create or update every row; keep the writes only when none failed and not a dry run."""
    outcome = ApplyOutcome()
    savepoint = session.begin_nested()
    try:
        # Each write flushes its camera itself; without autoflush the lookups between writes
        # do not flush again, which halves the flushes of a large import.
        with session.no_autoflush:
            for done, row in enumerate(rows, start=1):
                try:
                    _apply_row(session, row, existing, actor, ctx, outcome)
                except CamregError as exc:
                    outcome.problems.add(_field_of(exc), exc.message, row.line)
                if progress is not None:
                    progress(done, len(rows))
        session.flush()
        if outcome.problems.items or dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    return outcome


def _apply_row(
    session: Session,
    row: ValidRow,
    existing: dict[str, Camera],
    actor: Actor,
    ctx: WriteContext,
    outcome: ApplyOutcome,
) -> None:
    code = row.data.code
    camera = existing.get(code)
    if camera is None:
        result = create_camera(session, data=row.data, actor=actor, ctx=ctx)
        outcome.created.append(code)
    else:
        version = camera.version
        result = update_camera(
            session, code=code, data=_update_data(camera, row, ctx), actor=actor, ctx=ctx
        )
        (outcome.updated if result.camera.version != version else outcome.unchanged).append(code)
    outcome.warnings += [f"line {row.line}: {message}" for message in result.warnings]
