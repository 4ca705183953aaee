"""What a file-ingest job carries in the queue, and what it reports when done."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from camera_registry.account.role import Role
from camera_registry.actor import Actor

FILE_JOB = "file"


@dataclass(frozen=True)
class FileJob:
    """One recorded file to index for one camera (the job payload)."""

    path: str
    camera: str
    recorder_start: datetime
    clock_offset_s: float
    start_source: str
    sha256: str
    size_bytes: int
    original_name: str
    keep_originals: str
    case_number: str | None
    actor: str
    actor_source: str

    @property
    def start(self) -> datetime:
        """Return the true start of the file: recorder's time plus the clock offset."""
        return self.recorder_start + timedelta(seconds=self.clock_offset_s)

    @property
    def dedupe_key(self) -> str:
        """Return the queue key: one job per file content."""
        return f"file:{self.sha256}"

    def acting(self) -> Actor:
        """Return the actor who queued the file, with its case number, for logs and audit."""
        return Actor(
            name=self.actor, role=Role.ADMIN, source=self.actor_source, case_number=self.case_number
        )

    def to_payload(self) -> dict[str, Any]:
        """Return the job as JSON-ready data."""
        data = asdict(self)
        data["recorder_start"] = self.recorder_start.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> FileJob:
        """Rebuild a job from its payload."""
        values = dict(data)
        values["recorder_start"] = datetime.fromisoformat(values["recorder_start"])
        return cls(**values)


@dataclass(frozen=True)
class FileResult:
    """What indexing one file produced (or why it was skipped)."""

    status: str  # "indexed" or "duplicate"
    file: str
    camera: str
    sha256: str
    footage_id: int | None
    start: datetime | None = None
    end: datetime | None = None
    frames: int = 0
    footage_seconds: float = 0.0
    wall_seconds: float = 0.0
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        data = asdict(self)
        for key in ("start", "end"):
            data[key] = data[key].isoformat() if data[key] is not None else None
        return data
