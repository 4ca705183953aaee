"""Start times of recorded files: explicit, file name, container metadata, clock offset, checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingest.pipeline.errors import IngestRefused
from ingest.pipeline.start_time import (
    StartRules,
    StartSource,
    parse_time,
    resolve_start,
    start_from_filename,
)
from tests.ingest.pipeline.clips import write_clip

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _rules(pattern: str = "") -> StartRules:
    return StartRules(zone=VN, filename_pattern=pattern, future_tolerance_s=120)


def test_naive_time_is_read_in_the_configured_zone() -> None:
    assert parse_time("2026-03-01T08:00:00", VN) == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert parse_time("2026-03-01T08:00:00+00:00", VN) == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_bad_iso_text_says_how_to_write_it() -> None:
    with pytest.raises(IngestRefused, match="ISO 8601"):
        parse_time("01/03/2026 8h", VN)


def test_file_name_pattern_finds_the_time_inside_the_name() -> None:
    found = start_from_filename("cam3_20260301_081500_ch1.mp4", "%Y%m%d_%H%M%S", VN)
    assert found == datetime(2026, 3, 1, 1, 15, tzinfo=UTC)
    assert start_from_filename("clip.mp4", "%Y%m%d_%H%M%S", VN) is None
    assert start_from_filename("cam_20261399_081500.mp4", "%Y%m%d_%H%M%S", VN) is None
    with pytest.raises(IngestRefused, match="%Z"):
        start_from_filename("x.mp4", "%Y%Z", VN)


def test_explicit_wins_then_file_name_then_container(tmp_path: Path) -> None:
    clip = write_clip(
        tmp_path / "rec_20260302_070000.mp4", creation_time="2026-03-03T00:00:00.000000Z"
    )
    explicit = resolve_start(
        clip,
        explicit="2026-03-01T08:00:00",
        clock_offset_s=0,
        rules=_rules("%Y%m%d_%H%M%S"),
        now=NOW,
    )
    assert explicit.source == StartSource.EXPLICIT
    named = resolve_start(
        clip, explicit=None, clock_offset_s=0, rules=_rules("%Y%m%d_%H%M%S"), now=NOW
    )
    assert (named.source, named.start) == (
        StartSource.FILENAME,
        datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
    )
    created = resolve_start(clip, explicit=None, clock_offset_s=0, rules=_rules(), now=NOW)
    assert (created.source, created.start) == (
        StartSource.CONTAINER,
        datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
    )


def test_clock_offset_corrects_the_recorder_time(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    resolved = resolve_start(
        clip, explicit="2026-03-01T08:00:00+07:00", clock_offset_s=-90.5, rules=_rules(), now=NOW
    )
    assert resolved.recorder_start == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert resolved.start == resolved.recorder_start - timedelta(seconds=90.5)


def test_future_start_is_refused(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    with pytest.raises(IngestRefused, match="future"):
        resolve_start(
            clip, explicit="2026-03-11T08:00:00", clock_offset_s=0, rules=_rules(), now=NOW
        )
    # A recorder running a day slow may put its start in the future only before correction.
    corrected = resolve_start(
        clip,
        explicit="2026-03-11T08:00:00",
        clock_offset_s=-2 * 86400,
        rules=_rules(),
        now=NOW,
    )
    assert corrected.start < NOW


def test_missing_start_lists_the_three_ways(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mp4")
    with pytest.raises(IngestRefused) as caught:
        resolve_start(clip, explicit=None, clock_offset_s=0, rules=_rules(), now=NOW)
    message = caught.value.message
    assert "--start" in message
    assert "creation_time" in message
    assert "filename_pattern" in message
