"""When a recording started: explicit time, file-name pattern or container metadata, plus offset.

Naive times are read in the configured zone; a recorder whose clock was wrong is corrected by a
clock offset (seconds added to the recorder's time to get the true time), which is kept with the
footage so the original timestamps can always be reconstructed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import av

from ingest.pipeline.errors import IngestRefused

# strptime directives a file-name pattern may use, and what each matches.
_DIRECTIVES = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\d{2}",
    "d": r"\d{2}",
    "H": r"\d{2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "j": r"\d{3}",
    "f": r"\d{1,6}",
    "%": "%",
}
# Containers whose muxer wrote no real date carry the format's epoch (1904 for MP4, or 1970).
_EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)


class StartSource(StrEnum):
    """Where a recording's start time came from."""

    EXPLICIT = "explicit"
    FILENAME = "filename"
    CONTAINER = "container"


@dataclass(frozen=True)
class ResolvedStart:
    """The recorder's start time (UTC) and the offset that corrects its clock."""

    recorder_start: datetime
    clock_offset_s: float
    source: StartSource

    @property
    def start(self) -> datetime:
        """Return the true start: the recorder's time plus the clock offset."""
        return self.recorder_start + timedelta(seconds=self.clock_offset_s)


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """Parse ISO 8601; a time without offset is read in `zone`. Return aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise IngestRefused(
            f"start {text!r} is not an ISO 8601 time; write e.g. 2026-03-01T08:15:00 "
            f"(read in {zone.key}) or 2026-03-01T08:15:00+07:00"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Return a regex that finds text written with the strptime `pattern`."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "%" and i + 1 < len(pattern):
            directive = pattern[i + 1]
            if directive not in _DIRECTIVES:
                raise IngestRefused(
                    f"ingest.filename_pattern {pattern!r} uses %{directive}; "
                    f"only %{', %'.join(sorted(_DIRECTIVES))} are supported"
                )
            parts.append(_DIRECTIVES[directive])
            i += 2
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def start_from_filename(name: str, pattern: str, zone: ZoneInfo) -> datetime | None:
    """Return the time written in a file name by `pattern` (read in `zone`), or None."""
    if not pattern:
        return None
    match = pattern_regex(pattern).search(Path(name).stem)
    if match is None:
        return None
    try:
        value = datetime.strptime(match.group(0), pattern)  # noqa: DTZ007 - zone added below
    except ValueError:
        return None
    return value.replace(tzinfo=zone).astimezone(UTC)


def container_creation_time(path: Path) -> datetime | None:
    """Return the creation_time the container (or its video stream) records, or None."""
    try:
        with av.open(str(path), mode="r") as container:
            tags = [container.metadata]
            tags += [s.metadata for s in container.streams.video]
    except (av.error.FFmpegError, UnicodeDecodeError, OSError):
        return None
    for tag in tags:
        text = tag.get("creation_time")
        if not text:
            continue
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        # The MP4/MKV creation_time is UTC by definition of those formats.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if value >= _EARLIEST_PLAUSIBLE:
            return value
    return None


@dataclass(frozen=True)
class StartRules:
    """How to find and check a start time."""

    zone: ZoneInfo
    filename_pattern: str
    future_tolerance_s: float


def resolve_start(
    path: Path,
    *,
    explicit: str | None,
    clock_offset_s: float,
    rules: StartRules,
    now: datetime,
) -> ResolvedStart:
    """Find the start (explicit, else file name, else container) and refuse a future one."""
    resolved = _find_start(path, explicit=explicit, clock_offset_s=clock_offset_s, rules=rules)
    if resolved is None:
        raise IngestRefused(_missing_message(path, rules))
    if resolved.start > now + timedelta(seconds=rules.future_tolerance_s):
        shown = resolved.start.astimezone(rules.zone).isoformat(timespec="seconds")
        raise IngestRefused(
            f"{path.name}: start {shown} ({resolved.source} time"
            f"{f', clock offset {clock_offset_s:+g} s' if clock_offset_s else ''}) lies in the "
            "future; check the date, the time zone and the recorder's clock (--clock-offset)"
        )
    return resolved


def _find_start(
    path: Path, *, explicit: str | None, clock_offset_s: float, rules: StartRules
) -> ResolvedStart | None:
    if explicit:
        return ResolvedStart(parse_time(explicit, rules.zone), clock_offset_s, StartSource.EXPLICIT)
    named = start_from_filename(path.name, rules.filename_pattern, rules.zone)
    if named is not None:
        return ResolvedStart(named, clock_offset_s, StartSource.FILENAME)
    created = container_creation_time(path)
    if created is not None:
        return ResolvedStart(created, clock_offset_s, StartSource.CONTAINER)
    return None


def _missing_message(path: Path, rules: StartRules) -> str:
    pattern = (
        f"ingest.filename_pattern is {rules.filename_pattern!r} and does not match the name"
        if rules.filename_pattern
        else "ingest.filename_pattern is not set"
    )
    return (
        f"{path.name}: no start time. Give one of: (1) --start 2026-03-01T08:15:00 "
        f"(read in {rules.zone.key} unless it carries an offset); (2) a creation_time in the "
        "container's metadata (this file has none); (3) a start time in the file name matching "
        f"ingest.filename_pattern, e.g. %Y%m%d_%H%M%S (CAMREG_INGEST__FILENAME_PATTERN; {pattern})"
    )
