"""Turn stored coverage intervals into a camera's timeline within a window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ingest.events.schema import CoverageRead, CoverageSpan, SpanKind


@dataclass(frozen=True)
class Interval:
    """A half-open stretch of time [start, end) with an optional reason."""

    start: datetime
    end: datetime
    reason: str | None = None


def clip_to(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Return the intervals cut to [start, end), dropping those outside it."""
    out = []
    for item in intervals:
        lo, hi = max(item.start, start), min(item.end, end)
        if lo < hi:
            out.append(Interval(lo, hi, item.reason))
    return out


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union of intervals, sorted; touching intervals join (first reason kept)."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            if item.end > last.end:
                merged[-1] = Interval(last.start, item.end, last.reason or item.reason)
        else:
            merged.append(item)
    return merged


def subtract(intervals: Iterable[Interval], holes: list[Interval]) -> list[Interval]:
    """Return the parts of merged `intervals` not covered by merged, sorted `holes`."""
    out = []
    for item in intervals:
        cursor = item.start
        for hole in holes:
            if hole.end <= cursor or hole.start >= item.end:
                continue
            if hole.start > cursor:
                out.append(Interval(cursor, hole.start, item.reason))
            cursor = max(cursor, hole.end)
        if cursor < item.end:
            out.append(Interval(cursor, item.end, item.reason))
    return out


def _seconds(intervals: Iterable[Interval]) -> float:
    return sum((i.end - i.start).total_seconds() for i in intervals)


def timeline(
    *,
    code: str,
    name: str,
    recorded: Iterable[Interval],
    gaps: Iterable[Interval],
    start: datetime,
    end: datetime,
) -> CoverageRead:
    """Return a camera's recorded, gap and unknown spans covering exactly [start, end)."""
    have = merge(clip_to(recorded, start, end))
    # Footage wins over a gap record: a gap noted by one source may be filled by another file.
    missing = subtract(merge(clip_to(gaps, start, end)), have)
    unknown = subtract([Interval(start, end)], merge([*have, *missing]))
    spans = [CoverageSpan(kind=SpanKind.RECORDED, start=i.start, end=i.end) for i in have]
    spans += [
        CoverageSpan(kind=SpanKind.GAP, start=i.start, end=i.end, reason=i.reason) for i in missing
    ]
    spans += [CoverageSpan(kind=SpanKind.UNKNOWN, start=i.start, end=i.end) for i in unknown]
    spans.sort(key=lambda s: s.start)
    recorded_s = _seconds(have)
    window_s = (end - start).total_seconds()
    return CoverageRead(
        camera=code,
        name=name,
        spans=spans,
        recorded_s=recorded_s,
        gap_s=_seconds(missing),
        unknown_s=_seconds(unknown),
        covered_fraction=recorded_s / window_s if window_s > 0 else 0.0,
    )
