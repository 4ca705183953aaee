"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.audit.model import AuditEntry
from camera_registry.clock import utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it names the PostgreSQL advisory lock that serialises appends.
_APPEND_LOCK_KEY = 7_231_001


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "role": entry.role,
        "source": entry.source,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "details": entry.details,
        "case_number": entry.case_number,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_digest(entry: AuditEntry) -> str:
    """Return the SHA-256 hex digest that seals an entry and links it to the one before."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def append_audit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "ok",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry at the end of the chain (in the caller's transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    entry = AuditEntry(
        seq=seq,
        at=at or utcnow(),
        actor=actor.name,
        role=str(actor.role),
        source=actor.source,
        action=action,
        target=target,
        outcome=outcome,
        details=json.loads(json.dumps(details or {}, default=str)),
        case_number=actor.case_number,
        request_id=actor.request_id,
        prev_hash=prev,
    )
    entry.entry_hash = entry_digest(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditFilter:
    """What to list from the audit log."""

    actor: str | None = None
    action: str | None = None
    case_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_audit(
    session: Session, *, query: AuditFilter, after_seq: int = 0, limit: int | None = None
) -> Sequence[AuditEntry]:
    """Return audit entries matching the filter, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq)
    if query.actor:
        stmt = stmt.where(AuditEntry.actor == query.actor)
    if query.action:
        stmt = stmt.where(AuditEntry.action.startswith(query.action))
    if query.case_number:
        stmt = stmt.where(AuditEntry.case_number == query.case_number)
    if query.since:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEntry.at < query.until)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


@dataclass
class ChainReport:
    """Result of verifying the audit chain."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when no problem was found."""
        return not self.problems


def _iter_entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, *, expected_head: str | None = None) -> ChainReport:
    """Check every entry: sequence without gaps, links to its predecessor, unchanged content."""
    report = ChainReport()
    prev_hash, expected_seq = GENESIS_HASH, 1
    for entry in _iter_entries(session):
        report.entries += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"entry {entry.seq}: expected sequence {expected_seq}"
                " (entries removed or reordered)"
            )
        if entry.prev_hash != prev_hash:
            report.problems.append(
                f"entry {entry.seq}: does not link to the entry before it (removed or reordered)"
            )
        if entry_digest(entry) != entry.entry_hash:
            report.problems.append(f"entry {entry.seq}: content changed after it was written")
        prev_hash, expected_seq = entry.entry_hash, entry.seq + 1
        report.head_seq, report.head_hash = entry.seq, entry.entry_hash
    if expected_head and expected_head != report.head_hash:
        report.problems.append(
            f"head is {report.head_hash[:16]}…, expected {expected_head[:16]}… "
            "(entries removed from the end, or a different log)"
        )
    return report


def audit_count(session: Session) -> int:
    """Return how many entries the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
