"""SQL for areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from camera_registry.area.model import Area, AreaLevel, AreaSuccession


class AreaRepository:
    """Reads and writes areas and their successions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def valid_at(self, day: date, level: AreaLevel | None = None) -> Sequence[Area]:
        """Return the areas valid on a day (optionally of one level), by code."""
        stmt = select(Area).where(
            or_(Area.valid_from.is_(None), Area.valid_from <= day),
            or_(Area.valid_to.is_(None), Area.valid_to >= day),
        )
        if level is not None:
            stmt = stmt.where(Area.level == level)
        return self.session.scalars(stmt.order_by(Area.code)).all()

    def all(self) -> Sequence[Area]:
        """Return every area of every period."""
        return self.session.scalars(select(Area).order_by(Area.code, Area.valid_from)).all()

    def by_code(self, code: str) -> Sequence[Area]:
        """Return every period of one code, newest first."""
        stmt = select(Area).where(Area.code == code)
        rows = self.session.scalars(stmt).all()
        return sorted(rows, key=lambda a: a.valid_from or date.min, reverse=True)

    def by_code_and_start(self, code: str, valid_from: date | None) -> Area | None:
        """Return the area with this code starting on this date."""
        stmt = select(Area).where(Area.code == code)
        stmt = stmt.where(
            Area.valid_from.is_(None) if valid_from is None else Area.valid_from == valid_from
        )
        return self.session.scalars(stmt).first()

    def successions(self) -> Sequence[AreaSuccession]:
        """Return every succession."""
        return self.session.scalars(select(AreaSuccession)).all()

    def succession_exists(self, old: str, new: str, on: date) -> bool:
        """Return True when this succession is stored."""
        stmt = select(AreaSuccession.id).where(
            AreaSuccession.old_code == old,
            AreaSuccession.new_code == new,
            AreaSuccession.effective_on == on,
        )
        return self.session.scalar(stmt) is not None
