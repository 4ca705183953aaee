"""Normalised polygons (0..1 from the left and top) rasterised to masks at analysis size."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import cv2
import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Polygon = Sequence[tuple[float, float]]


def polygon_mask(polygon: Polygon, width: int, height: int) -> Mask:
    """Return the pixels of a width x height frame inside a normalised polygon."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    points = np.array([[x * width, y * height] for x, y in polygon], dtype=np.float64)
    # Sub-pixel vertices (shift 4 bits) so small zones keep their shape at 320 px.
    fixed = np.round(points * 16).astype(np.int32)
    cv2.fillPoly(canvas, [fixed], 1, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


def union_mask(polygons: Iterable[Polygon], width: int, height: int) -> Mask:
    """Return the union of several normalised polygons as one mask."""
    mask = np.zeros((height, width), dtype=bool)
    for polygon in polygons:
        mask |= polygon_mask(polygon, width, height)
    return mask


def zone_masks(zones: Mapping[str, Polygon], width: int, height: int) -> dict[str, Mask]:
    """Return a mask per named zone."""
    return {name: polygon_mask(poly, width, height) for name, poly in zones.items()}


def zones_touched(moving: Mask, masks: Mapping[str, Mask]) -> frozenset[str]:
    """Return the names of the zones that share at least one pixel with the moving mask."""
    return frozenset(name for name, mask in masks.items() if np.any(moving & mask))
