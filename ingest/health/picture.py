"""Picture checks: grab a few seconds of a camera's stream and judge what it shows.

Thresholds are measured at the analysis width (320 px) and tuned on the clips in `samples/`
(real street and indoor footage judges clean) and on synthetic faults made from them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from camera_registry.crypto import StreamCredentials
from ingest.frames import Image
from ingest.health.grab import Grab, GrabFailed, grab_frames
from ingest.health.reachability import probe_blocking
from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.view_compare import compare, load_reference
from ingest.health.vocabulary import CheckTier, Reason, ordered


@dataclass(frozen=True)
class PictureThresholds:
    """Where a picture stops being usable; luma in 0..255 levels, measures at 320 px wide."""

    # A picture whose luma standard deviation is below this shows nothing (real scenes: >= 13).
    uniform_max_std: float = 6.0
    # A uniform picture brighter than this is a blinding white-out: tampered, not black.
    whiteout_min_mean: float = 200.0
    # Median mean-absolute difference between consecutive frames below this: frozen. A frozen
    # H.264 stream measures ~0.0001 (keyframes add rare blips), a still scene with sensor noise
    # >= 0.3, the sample footage >= 0.3.
    frozen_max_median_diff: float = 0.05
    # Frames needed before frozen can be told (two differences at least).
    frozen_min_frames: int = 3
    # Variance of the Laplacian below this: blurred (sharp footage 67..2300; a lens defocused
    # by sigma 1.5 px at 640 px: ~27, sigma 2: ~13).
    blurred_max_sharpness: float = 20.0
    # With a reference: focus (sharpness per contrast) below this share of the reference's.
    blurred_max_focus_ratio: float = 0.3
    # With a reference: tampered when this share of the textured parts of the view is blank
    # (covered or blinded; see view_compare), or when the layout (correlation of smoothed
    # pictures) is lost and brightness left this range...
    tamper_min_blank_share: float = 0.5
    tamper_brightness_range: tuple[float, float] = (0.4, 2.5)
    # ...and moved when the layout is lost with detail kept (the camera looks elsewhere).
    lost_view_max_correlation: float = 0.5
    # Feature matches needed to trust a measured shift of the view.
    moved_min_matches: int = 15
    # A view shifted by more than this share of the width (or rotated more than the angle): moved.
    moved_min_shift: float = 0.04
    moved_min_rotation_deg: float = 3.0
    # Measured frame rate further than this share from the registry's: wrong_fps.
    fps_tolerance: float = 0.2


def _consecutive_diffs(grey: Sequence[Image]) -> list[float]:
    return [float(cv2.absdiff(a, b).mean()) for a, b in itertools.pairwise(grey)]


def _focus(grey: Image) -> tuple[float, float]:
    """Return (variance of the Laplacian, luma variance)."""
    laplacian = cv2.Laplacian(grey, cv2.CV_64F)
    return float(laplacian.var()), float(grey.var())


def _still_picture(grey: Sequence[Image]) -> Image:
    # The per-pixel median of the frames keeps the scene and drops passing objects and noise.
    if len(grey) < 3:
        return grey[-1]
    sample = list(grey[:: max(1, len(grey) // 15)])
    median: Image = np.median(np.stack(sample), axis=0).astype(np.uint8)
    return median


def _judge_reference(
    still: Image, reference: Image, t: PictureThresholds, details: dict[str, Any]
) -> set[Reason]:
    found: set[Reason] = set()
    comparison = compare(reference, still)
    details["reference"] = comparison.as_details()
    low, high = t.tamper_brightness_range
    shift = comparison.shift_fraction
    trusted = comparison.matches >= t.moved_min_matches and shift is not None
    lost_view = comparison.coarse_correlation < t.lost_view_max_correlation
    if comparison.blank_share >= t.tamper_min_blank_share or (
        lost_view and not low <= comparison.brightness_ratio <= high
    ):
        found.add(Reason.TAMPERED)
    elif trusted and (
        (shift or 0.0) > t.moved_min_shift
        or abs(comparison.rotation_deg or 0.0) > t.moved_min_rotation_deg
    ):
        found.add(Reason.MOVED)
    elif lost_view and not trusted:
        found.add(Reason.MOVED)  # detail as before, but another view
    ref_laplacian, ref_variance = _focus(reference)
    laplacian, variance = _focus(still)
    if ref_laplacian > 0 and ref_variance > 0 and variance > 0:
        ratio = (laplacian / variance) / (ref_laplacian / ref_variance)
        details["focus_ratio"] = round(ratio, 3)
        # Focus compares only with the same view; another view gets the absolute test.
        same_view = not found & {Reason.TAMPERED, Reason.MOVED}
        blurred = (
            ratio < t.blurred_max_focus_ratio if same_view else laplacian < t.blurred_max_sharpness
        )
        if blurred:
            found.add(Reason.BLURRED)
    return found


def _judge_stream(
    width: int, height: int, fps: float | None, target: ProbeTarget, t: PictureThresholds
) -> set[Reason]:
    found: set[Reason] = set()
    expected_size = (target.expected_width, target.expected_height)
    if None not in expected_size and (width, height) != expected_size:
        found.add(Reason.WRONG_RESOLUTION)
    expected_fps = target.expected_fps
    if (
        expected_fps
        and fps is not None
        and abs(fps - expected_fps) > t.fps_tolerance * expected_fps
    ):
        found.add(Reason.WRONG_FPS)
    return found


def judge_frames(
    grey: Sequence[Image],
    *,
    width: int,
    height: int,
    fps: float | None,
    target: ProbeTarget,
    reference: Image | None = None,
    thresholds: PictureThresholds = PictureThresholds(),
) -> tuple[list[Reason], dict[str, Any]]:
    """Judge grey frames (analysis width, in order) and stream facts; return reasons, measures."""
    t = thresholds
    details: dict[str, Any] = {
        "width": width,
        "height": height,
        "fps": None if fps is None else round(fps, 2),
        "frames": len(grey),
    }
    if not grey:
        return [Reason.NO_FRAMES], details
    found = _judge_stream(width, height, fps, target, t)
    still = _still_picture(grey)
    mean, std = float(still.mean()), float(still.std())
    laplacian, _ = _focus(still)
    details.update(mean_luma=round(mean, 1), luma_std=round(std, 2), sharpness=round(laplacian, 1))
    diffs = _consecutive_diffs(grey)
    if diffs:
        details["median_frame_diff"] = round(float(np.median(diffs)), 4)
    uniform = std < t.uniform_max_std
    if uniform:
        found.add(Reason.TAMPERED if mean >= t.whiteout_min_mean else Reason.BLACK)
    elif len(grey) >= t.frozen_min_frames and float(np.median(diffs)) < t.frozen_max_median_diff:
        found.add(Reason.FROZEN)
    if reference is None:
        details["reference"] = "none: moved and tampered are not judged against a reference"
        if not uniform and laplacian < t.blurred_max_sharpness:
            found.add(Reason.BLURRED)
    elif not uniform:
        found |= _judge_reference(still, reference, t, details)
    return ordered(found), details


def _snapshot(image: Image | None, width: int) -> bytes | None:
    if image is None:
        return None
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return encoded.tobytes() if ok else None


def _result(target: ProbeTarget, checked_at: datetime, **fields: Any) -> CheckResult:
    return CheckResult(
        camera_id=target.camera_id,
        camera_code=target.code,
        tier=CheckTier.PICTURE,
        checked_at=checked_at,
        **fields,
    )


def check_picture(
    target: ProbeTarget,
    *,
    seconds: float,
    timeout_s: float,
    snapshot_width: int,
    thresholds: PictureThresholds = PictureThresholds(),
) -> CheckResult:
    """Grab `seconds` of the main stream and judge it (blocking; bounded by `timeout_s`).

    It blocks for seconds: from a coroutine, call it through `asyncio.to_thread`.
    """
    checked_at = datetime.now(UTC)
    started = time.monotonic()
    # The RTSP handshake first: it tells a network, password or server fault apart exactly,
    # which PyAV's errors do not.
    reach = probe_blocking(target, timeout_s=min(timeout_s, 5.0))
    if reach.reasons:
        return _result(
            target, checked_at, reasons=reach.reasons, details=reach.details, message=reach.message
        )
    credentials = (
        StreamCredentials(target.username, target.password or "")
        if target.username is not None
        else None
    )
    remaining = max(0.5, timeout_s - (time.monotonic() - started))
    try:
        grab: Grab = grab_frames(target.url, credentials, seconds=seconds, timeout_s=remaining)
    except GrabFailed as failure:
        return _result(
            target,
            checked_at,
            reasons=(Reason.NO_FRAMES,),
            details={"rtsp_status": reach.details.get("rtsp_status")},
            message=f"connected, but no frames: {failure.message}",
        )
    reference = load_reference(target.reference_path) if target.reference_path else None
    reasons, details = judge_frames(
        grab.grey,
        width=grab.width,
        height=grab.height,
        fps=grab.measured_fps,
        target=target,
        reference=reference,
        thresholds=thresholds,
    )
    if target.reference_path and reference is None:
        details["reference"] = "unreadable: set the reference picture again"
    details["grab_s"] = round(time.monotonic() - started, 2)
    return _result(
        target,
        checked_at,
        reasons=tuple(reasons),
        details=details,
        message=", ".join(reasons) if reasons else None,
        snapshot_jpeg=_snapshot(grab.last_bgr, snapshot_width),
    )
