"""Write and read the change log; called by every service that writes the registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from camera_registry.actor import Actor
from camera_registry.changelog.model import ChangeRecord
from camera_registry.clock import utcnow


def record_change(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    key: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> ChangeRecord:
    """Add one change record to the session (committed with the write it describes)."""
    record = ChangeRecord(
        at=utcnow(),
        actor=actor.name,
        role=str(actor.role),
        request_id=actor.request_id,
        source=actor.source,
        entity=entity,
        entity_key=key,
        action=action,
        before=before,
        after=after,
    )
    session.add(record)
    return record


def changes_of(session: Session, *, entity: str, key: str) -> Sequence[ChangeRecord]:
    """Return the change records of one record, oldest first."""
    query = (
        select(ChangeRecord)
        .where(ChangeRecord.entity == entity, ChangeRecord.entity_key == key)
        .order_by(ChangeRecord.id)
    )
    return session.scalars(query).all()


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Return {field: [old, new]} for the fields that differ."""
    before = before or {}
    after = after or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }
