"""Domain errors; the API maps each kind to one HTTP status, the CLI to one exit message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field, located by line or feature number when known."""

    field: str
    message: str
    line: int | None = None
    value: Any = None

    def describe(self) -> str:
        """Return a one-line human description."""
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as plain data."""
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data


class CamregError(Exception):
    """Base of all domain errors: a message that says what to fix."""

    kind = "invalid"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[FieldProblem] = problems or []


class NotFound(CamregError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    kind = "not_found"


class CameraNotFound(NotFound):
    """No camera with that code."""


class AreaNotFound(NotFound):
    """No area with that code at that date."""


class UserNotFound(NotFound):
    """No user with that name."""


class ApiKeyNotFound(NotFound):
    """No API key with that id."""


class Conflict(CamregError):
    """The write conflicts with what is stored."""

    kind = "conflict"


class DuplicateCameraCode(Conflict):
    """A camera with that code exists already."""


class DuplicateUser(Conflict):
    """A user with that name exists already."""


class StaleVersion(CamregError):
    """If-Match did not match: someone changed the record since it was read."""

    kind = "precondition_failed"


class InvalidInput(CamregError):
    """Input that breaks a rule; `problems` says which fields."""

    kind = "invalid"


class InvalidTransition(InvalidInput):
    """A lifecycle change that is not allowed."""


class InvalidArea(InvalidInput):
    """An area or polygon that is not valid."""


class ImportRejected(InvalidInput):
    """A bulk import that was refused as a whole; `problems` lists every row at fault."""


class AuthenticationFailed(CamregError):
    """Wrong or missing credentials."""

    kind = "unauthenticated"


class AccountLocked(AuthenticationFailed):
    """Too many failed log-ins; the account is locked for a while."""


class PermissionDenied(CamregError):
    """The caller's role or scope does not allow this."""

    kind = "forbidden"


class PayloadTooLarge(CamregError):
    """An upload over the configured limit."""

    kind = "too_large"


@dataclass
class Problems:
    """Collects field problems and raises them together."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str, line: int | None = None) -> None:
        """Record one problem."""
        self.items.append(FieldProblem(field_name, message, line))

    def raise_if_any(self, error: type[CamregError], summary: str) -> None:
        """Raise `error` with all collected problems, if there are any."""
        if self.items:
            detail = "; ".join(p.describe() for p in self.items[:5])
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise error(f"{summary}: {detail}{more}", problems=list(self.items))
