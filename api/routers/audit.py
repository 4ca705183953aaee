"""The audit log for admins and auditors: list with filters, verify the hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep, require
from api.pagination import (
    PAGE_SIZE_HELP,
    Page,
    check_limit,
    decode_seq_cursor,
    encode_seq_cursor,
    set_next_link,
)
from api.problem import problem_responses
from camera_registry.account.role import Permission
from camera_registry.actor import Actor
from camera_registry.audit.service import AuditFilter, list_audit, verify_chain
from camera_registry.clock import in_time_range
from camera_registry.errors import FieldProblem, InvalidInput

router = APIRouter(prefix="/audit", tags=["audit"], responses=problem_responses(401, 403, 422))
Auditor = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]


class AuditRead(BaseModel):
    """One audited action, with the hashes that chain it to the one before."""

    seq: int
    at: datetime
    actor: str
    role: str
    source: str
    action: str
    target: str | None = None
    outcome: str
    details: dict[str, Any]
    case_number: str | None = None
    request_id: str | None = None
    prev_hash: str
    entry_hash: str


class ChainVerdict(BaseModel):
    """Whether the chain is intact; note head_hash somewhere else to detect truncation later."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[str]


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        message = "give a time zone, e.g. 2026-11-28T08:00:00+07:00"
        raise InvalidInput(f"{name}: {message}", problems=[FieldProblem(name, message)])
    if value is not None:
        try:
            in_time_range(value)
        except ValueError as exc:
            raise InvalidInput(f"{name}: {exc}", problems=[FieldProblem(name, str(exc))]) from None
    return value


@router.get("", response_model=Page[AuditRead])
def list_audit_entries(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: Auditor,
    who: Annotated[str | None, Query(alias="actor", max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=64, description="Action or prefix.")] = None,
    case_number: Annotated[str | None, Query(alias="case_number", max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="From (with time zone).")] = None,
    until: Annotated[datetime | None, Query(description="Before (with time zone).")] = None,
    limit: Annotated[int | None, Query(ge=1, description=PAGE_SIZE_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[AuditRead]:
    """List audit entries, oldest first."""
    size = check_limit(limit, settings.max_page_size)
    query = AuditFilter(
        actor=who,
        action=action,
        case_number=case_number,
        since=_aware(since, "since"),
        until=_aware(until, "until"),
    )
    after = decode_seq_cursor(cursor)
    rows = list_audit(session, query=query, after_seq=after, limit=size + 1)
    items = [AuditRead.model_validate(row, from_attributes=True) for row in rows[:size]]
    next_cursor = encode_seq_cursor(items[-1].seq) if len(rows) > size else None
    set_next_link(request, response, next_cursor)
    return Page[AuditRead](items=items, next_cursor=next_cursor)


@router.get("/verify", response_model=ChainVerdict)
def verify_audit_chain(
    session: SessionDep,
    actor: Auditor,
    expect_head: Annotated[
        str | None, Query(pattern="^[0-9a-f]{64}$", description="Head hash noted earlier.")
    ] = None,
) -> ChainVerdict:
    """Check every entry of the hash chain; `ok` is false with every problem listed."""
    report = verify_chain(session, expected_head=expect_head)
    return ChainVerdict(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problems=report.problems,
    )
