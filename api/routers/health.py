"""Liveness and readiness probes: the only API paths that need no credentials."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from api.deps import get_runtime
from api.problem import problem_response, problem_responses
from camera_registry.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """The database answers and its schema is the one this code expects."""

    status: Literal["ready"] = "ready"
    revision: str | None


@router.get("/healthz", response_model=Health)
def read_health() -> Health:
    """Report that the process is alive (no database access)."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def read_readiness(request: Request) -> Readiness | JSONResponse:
    """Report whether the database is reachable and migrated to the newest revision."""
    engine = get_runtime(request).engine
    try:
        current = current_revision(engine)
    except SQLAlchemyError:
        return problem_response(request, 503, "database unreachable", kind="not_ready")
    head = head_revision()
    if current != head:
        detail = f"database at {current or 'no'} revision, code needs {head}: camreg db upgrade"
        return problem_response(request, 503, detail, kind="not_ready")
    return Readiness(revision=current)
