"""Compare a camera's picture with its reference picture: same view, moved, or lost detail.

(Setting and clearing the reference picture is `ingest.health.reference`.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ingest.frames import Image
from ingest.health.grab import analysis_grey

# Feature matching: Lowe's ratio test keeps distinctive matches only.
_GRID = 4  # cells per side for the blank-area measure
# A cell whose luma standard deviation is below BLANK_STD shows nothing; cells of the reference
# below TEXTURED_STD (sky, a wall) are not counted, as covering them changes nothing.
BLANK_STD = 4.0
TEXTURED_STD = 6.0
_RATIO = 0.75
_ORB = {"nfeatures": 800, "fastThreshold": 10, "edgeThreshold": 15}


@dataclass(frozen=True)
class Comparison:
    """How the picture relates to the reference (all at the analysis width)."""

    matches: int  # feature matches consistent with one camera motion (RANSAC inliers)
    shift_fraction: float | None  # how far the view moved, as a fraction of the width
    rotation_deg: float | None
    coarse_correlation: float  # of heavily smoothed pictures: the layout, whatever the light
    detail_ratio: float  # gradient energy now / in the reference
    brightness_ratio: float  # mean luma now / in the reference
    # Of the grid cells that show texture in the reference, the share that is blank now
    # (covered by a bag, paint, a hand, or blinded): local, so a half-covered lens counts.
    blank_share: float

    def as_details(self) -> dict[str, float | int | None]:
        """Return the measures for CheckResult.details."""
        return {
            "matches": self.matches,
            "shift_fraction": None
            if self.shift_fraction is None
            else round(self.shift_fraction, 4),
            "rotation_deg": None if self.rotation_deg is None else round(self.rotation_deg, 2),
            "coarse_correlation": round(self.coarse_correlation, 3),
            "detail_ratio": round(self.detail_ratio, 3),
            "brightness_ratio": round(self.brightness_ratio, 3),
            "blank_share": round(self.blank_share, 3),
        }


def load_reference(path: str | Path) -> Image | None:
    """Return the reference picture as analysis luma, or None if it cannot be read."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        return None
    return analysis_grey(np.asarray(image, dtype=np.uint8))


def detail(grey: Image) -> float:
    """Return the mean gradient magnitude (how much structure the picture shows)."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.mean(cv2.magnitude(gx, gy)))


def _coarse_correlation(a: Image, b: Image) -> float:
    # Smoothed hard, the pictures keep their layout (sky, road, buildings) but lose focus and
    # noise; normalised correlation then ignores gain and offset, i.e. a change of light.
    sa = cv2.GaussianBlur(a.astype(np.float32), (0, 0), 6).ravel()
    sb = cv2.GaussianBlur(b.astype(np.float32), (0, 0), 6).ravel()
    sa -= sa.mean()
    sb -= sb.mean()
    norm = float(np.linalg.norm(sa) * np.linalg.norm(sb))
    return float(sa @ sb / norm) if norm > 0 else 0.0


def _motion(reference: Image, current: Image) -> tuple[int, float | None, float | None]:
    """Return (inlier matches, shift as a fraction of the width, rotation in degrees)."""
    orb = cv2.ORB_create(**_ORB)  # type: ignore[attr-defined]  # missing from cv2's stubs
    # Equalised pictures give features under both lights.
    kp_ref, des_ref = orb.detectAndCompute(cv2.equalizeHist(reference), None)
    kp_cur, des_cur = orb.detectAndCompute(cv2.equalizeHist(current), None)
    if des_ref is None or des_cur is None or len(kp_ref) < 2 or len(kp_cur) < 2:
        return 0, None, None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(des_ref, des_cur, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < _RATIO * p[1].distance]
    if len(good) < 3:
        return len(good), None, None
    src = np.array([kp_ref[m.queryIdx].pt for m in good], dtype=np.float32)
    dst = np.array([kp_cur[m.trainIdx].pt for m in good], dtype=np.float32)
    matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC)
    if matrix is None or inliers is None:
        return 0, None, None
    height, width = reference.shape[:2]
    # Where the centre of the view went: pan and tilt, and rotation about the corner, alike.
    centre = np.array([width / 2, height / 2, 1.0])
    moved_to = matrix @ centre
    shift = math.hypot(moved_to[0] - centre[0], moved_to[1] - centre[1]) / width
    rotation = math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))
    return int(inliers.sum()), shift, rotation


def _cell_stds(grey: Image) -> list[float]:
    height, width = grey.shape[:2]
    return [
        float(
            grey[
                r * height // _GRID : (r + 1) * height // _GRID,
                c * width // _GRID : (c + 1) * width // _GRID,
            ].std()
        )
        for r in range(_GRID)
        for c in range(_GRID)
    ]


def _blank_share(reference: Image, current: Image) -> float:
    pairs = zip(_cell_stds(reference), _cell_stds(current), strict=True)
    textured = [now for before, now in pairs if before >= TEXTURED_STD]
    if not textured:
        return 0.0
    return sum(1 for now in textured if now < BLANK_STD) / len(textured)


def compare(reference: Image, current: Image) -> Comparison:
    """Compare the current picture with the reference (both analysis luma)."""
    if current.shape != reference.shape:
        size = (reference.shape[1], reference.shape[0])
        current = np.asarray(cv2.resize(current, size), dtype=np.uint8)
    matches, shift, rotation = _motion(reference, current)
    ref_detail, ref_mean = detail(reference), float(reference.mean())
    return Comparison(
        matches=matches,
        shift_fraction=shift,
        rotation_deg=rotation,
        coarse_correlation=_coarse_correlation(reference, current),
        detail_ratio=detail(current) / ref_detail if ref_detail > 0 else 1.0,
        brightness_ratio=float(current.mean()) / ref_mean if ref_mean > 0 else 1.0,
        blank_share=_blank_share(reference, current),
    )
