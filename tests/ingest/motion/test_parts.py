"""Deterministic ids, zones rasterised from normalised polygons, and settings bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from ingest.motion.base import Box
from ingest.motion.draft import event_id
from ingest.motion.settings import MotionSettings
from ingest.motion.thumbnail import thumbnail_jpeg
from ingest.motion.zones import polygon_mask, zone_masks, zones_touched


def test_event_id_follows_from_camera_and_start_in_utc() -> None:
    start = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)
    local = start.astimezone(timezone(timedelta(hours=7)))
    assert event_id("VT-0042", start) == "VT-0042@20260304T050607.891Z"
    assert event_id("VT-0042", local) == event_id("VT-0042", start)
    assert event_id("VT-0043", start) != event_id("VT-0042", start)


def test_event_id_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        event_id("VT-0001", datetime(2026, 1, 1))  # noqa: DTZ001


def test_polygon_mask_covers_its_share_of_the_frame() -> None:
    mask = polygon_mask([(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)], 320, 180)
    assert abs(mask.mean() - 0.5) < 0.01
    triangle = polygon_mask([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)], 320, 180)
    assert abs(triangle.mean() - 0.5) < 0.02


def test_zones_touched_by_a_moving_mask() -> None:
    masks = zone_masks(
        {
            "left": [(0.0, 0.0), (0.3, 0.0), (0.3, 1.0)],
            "right": [(0.7, 0.0), (1.0, 0.0), (1.0, 1.0)],
        },
        160,
        90,
    )
    moving = np.zeros((90, 160), dtype=bool)
    moving[40:50, 30:40] = True  # inside the left triangle only
    assert zones_touched(moving, masks) == frozenset({"left"})
    assert zones_touched(np.zeros_like(moving), masks) == frozenset()


@pytest.mark.parametrize(
    "bad",
    [
        {"sensitivity": 1.5},
        {"min_area_fraction": 0.0},
        {"analysis_fps": 0.5},
        {"zones": {"door": [(0.1, 0.1), (0.2, 0.2)]}},
        {"masks": [[(0.1, 0.1), (1.2, 0.2), (0.3, 0.5)]]},
        {"unknown": 1},
    ],
)
def test_settings_refuse_values_out_of_bounds(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MotionSettings.model_validate(bad)


def test_thumbnail_is_a_jpeg_no_wider_than_640() -> None:
    import cv2

    image = np.full((720, 1280, 3), 90, dtype=np.uint8)
    data = thumbnail_jpeg(image, Box(0.25, 0.25, 0.5, 0.5))
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape == (360, 640, 3)
    assert decoded[90, 200].tolist() != [90, 90, 90]  # the outline is drawn
