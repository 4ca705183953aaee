"""Judging pictures: real footage judges clean; black, frozen, blurred, covered, blinded, moved and
wrong stream facts are told, each apart from its look-alike (noise, a change of light)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from ingest.frames import Image
from ingest.health.grab import analysis_grey
from ingest.health.picture import PictureThresholds, judge_frames
from ingest.health.view_compare import load_reference
from ingest.health.vocabulary import Reason
from tests.ingest.health.conftest import target
from tests.support import picture_streams as ps

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = sorted(
    p
    for folder in (ROOT / "samples" / "footage", ROOT.parent / "shared" / "samples")
    for p in folder.glob("*")
    if p.suffix in {".mp4", ".gif"}
)


def decode(path: Path, limit: int = 400) -> tuple[list[Image], float, int, int]:
    """Return analysis luma of a clip's first frames, its frame rate and size."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        frames = []
        for index, frame in enumerate(container.decode(stream)):
            frames.append(analysis_grey(np.asarray(frame.to_ndarray(format="gray"), np.uint8)))
            if index >= limit:
                break
        return frames, float(rate or 0), stream.width, stream.height


def judge(
    frames: list[Image], reference: Image | None = None, fps: float | None = 10.0
) -> tuple[list[Reason], dict[str, object]]:
    return judge_frames(
        frames, width=320, height=240, fps=fps, target=target("rtsp://x/"), reference=reference
    )


def clip(make: Callable[[int], Image], count: int = 20) -> list[Image]:
    return [analysis_grey(make(i)) for i in range(count)]


BASE = ps.scene()
REFERENCE = analysis_grey(BASE)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_footage_judges_clean_in_every_3_second_window(path: Path) -> None:
    frames, fps, width, height = decode(path)
    window = max(3, round(3 * fps))
    starts = range(0, max(1, len(frames) - window + 1), window)
    for start in starts:
        part = frames[start : start + window]
        expected = (width, height, fps)
        reasons, details = judge_frames(
            part, width=width, height=height, fps=fps, target=target("rtsp://x/", expected=expected)
        )
        assert reasons == [], (path.name, start, details)
        # Against the clip's own first picture as reference: the same view, not moved or covered.
        reasons, details = judge_frames(
            part,
            width=width,
            height=height,
            fps=fps,
            target=target("rtsp://x/"),
            reference=frames[0],
        )
        assert reasons == [], (path.name, start, details)


def test_a_sample_against_another_cameras_reference_is_moved() -> None:
    bottle, _, _, _ = decode(ROOT / "samples" / "footage" / "bottle-detection.mp4", limit=40)
    aisle, _, _, _ = decode(ROOT / "samples" / "footage" / "store-aisle-detection.gif", limit=40)
    reasons, details = judge(bottle[:30], reference=aisle[0])
    assert reasons == [Reason.MOVED], details


def test_black_and_uniform_pictures_are_black() -> None:
    assert judge(clip(ps.black()))[0] == [Reason.BLACK]
    grey = np.full((240, 320, 3), 128, dtype=np.uint8)
    assert judge(clip(ps.noisy(grey, sigma=1.0)))[0] == [Reason.BLACK]
    # Black is black against a reference too, not tampered or moved on top.
    assert judge(clip(ps.black()), reference=REFERENCE)[0] == [Reason.BLACK]


def test_white_out_is_tampered_even_without_a_reference() -> None:
    white = np.full((240, 320, 3), 250, dtype=np.uint8)
    reasons, details = judge(clip(ps.noisy(white, sigma=1.0)))
    assert reasons == [Reason.TAMPERED]
    assert str(details["reference"]).startswith("none")


def test_identical_frames_are_frozen_but_a_noisy_still_scene_is_not() -> None:
    reasons, details = judge(clip(ps.still(BASE)))
    assert reasons == [Reason.FROZEN]
    assert details["median_frame_diff"] == 0.0
    for sigma in (2.0, 4.0):
        reasons, details = judge(clip(ps.noisy(BASE, sigma=sigma)))
        assert reasons == [], details
    assert judge(clip(ps.moving(BASE)))[0] == []
    # Two frames cannot tell frozen from a still moment.
    assert judge(clip(ps.still(BASE), count=2))[0] == []


def test_frozen_h264_with_keyframe_blips_is_still_frozen(tmp_path: Path) -> None:
    # An encoder re-encoding one picture adds small differences at each keyframe.
    path = ps.write_h264(tmp_path / "frozen.mp4", ps.still(BASE), seconds=3)
    frames, _, _, _ = decode(path)
    assert judge(frames)[0] == [Reason.FROZEN]
    noisy, _, _, _ = decode(ps.write_h264(tmp_path / "noisy.mp4", ps.noisy(BASE), seconds=3))
    assert judge(noisy)[0] == []


def test_out_of_focus_is_blurred_absolutely_and_against_the_reference() -> None:
    reasons, details = judge(clip(ps.blurred(ps.moving(BASE), sigma=3.0)))
    assert reasons == [Reason.BLURRED], details
    assert str(details["reference"]).startswith("none")
    # A slight defocus passes the absolute test but not the comparison with a sharp reference.
    slight = clip(ps.blurred(ps.moving(BASE), sigma=0.7))
    assert judge(slight)[0] == []
    reasons, details = judge(slight, reference=REFERENCE)
    assert reasons == [Reason.BLURRED], details


def test_a_shifted_view_is_moved_and_a_small_shake_is_not() -> None:
    reasons, details = judge(clip(ps.still(ps.shifted(BASE, 0.10))), fps=None, reference=REFERENCE)
    assert Reason.MOVED in reasons, details
    assert reasons == [Reason.FROZEN, Reason.MOVED]
    reasons, details = judge(clip(ps.noisy(ps.shifted(BASE, 0.10))), reference=REFERENCE)
    assert reasons == [Reason.MOVED], details
    reference_details = details["reference"]
    assert isinstance(reference_details, dict)
    assert reference_details["shift_fraction"] == pytest.approx(0.10, abs=0.01)
    reasons, details = judge(clip(ps.noisy(ps.shifted(BASE, 0.02))), reference=REFERENCE)
    assert reasons == [], details


@pytest.mark.parametrize(
    "relight",
    [(0.75, 12.0), (0.5, 0.0), (1.3, 20.0)],
    ids=["dimmer", "dusk", "brighter"],
)
def test_other_light_on_the_same_view_is_clean(relight: tuple[float, float]) -> None:
    lit = ps.relit(BASE, *relight)
    reasons, details = judge(clip(ps.noisy(lit, sigma=2.0)), reference=REFERENCE)
    assert reasons == [], details


def test_the_same_view_later_with_other_people_in_it_is_clean() -> None:
    later = ps.scene(at_s=15.0)
    reasons, details = judge(clip(ps.moving(later)), reference=REFERENCE)
    assert reasons == [], details


@pytest.mark.parametrize("fraction", [0.6, 0.85])
def test_a_covered_lens_is_tampered(fraction: float) -> None:
    reasons, details = judge(clip(ps.noisy(ps.covered(BASE, fraction))), reference=REFERENCE)
    assert reasons == [Reason.TAMPERED], details


def test_without_a_reference_covering_is_not_judged_and_details_say_so() -> None:
    reasons, details = judge(clip(ps.noisy(ps.covered(BASE, 0.5))))
    assert reasons == []
    assert details["reference"] == "none: moved and tampered are not judged against a reference"


def test_stream_facts_against_the_registry() -> None:
    frames = clip(ps.moving(BASE))

    def reasons_for(expected: tuple[int, int, float], fps: float | None) -> list[Reason]:
        found, _ = judge_frames(
            frames, width=320, height=240, fps=fps, target=target("rtsp://x/", expected=expected)
        )
        return found

    assert reasons_for((320, 240, 10.0), 10.0) == []
    assert reasons_for((320, 240, 10.0), 8.5) == []  # within 20 %
    assert reasons_for((320, 240, 10.0), 7.5) == [Reason.WRONG_FPS]
    assert reasons_for((320, 240, 25.0), 10.0) == [Reason.WRONG_FPS]
    assert reasons_for((1920, 1080, 10.0), 10.0) == [Reason.WRONG_RESOLUTION]
    assert reasons_for((1920, 1080, 25.0), None) == [Reason.WRONG_RESOLUTION]  # fps unknown


def test_no_frames_and_custom_thresholds() -> None:
    assert judge([])[0] == [Reason.NO_FRAMES]
    strict = PictureThresholds(blurred_max_sharpness=10_000.0)
    found, _ = judge_frames(
        clip(ps.moving(BASE)),
        width=320,
        height=240,
        fps=None,
        target=target("rtsp://x/"),
        thresholds=strict,
    )
    assert found == [Reason.BLURRED]


def test_reference_file_is_read_as_analysis_luma(tmp_path: Path) -> None:
    path = tmp_path / "ref.jpg"
    cv2.imwrite(str(path), ps.scene(640, 480))
    loaded = load_reference(path)
    assert loaded is not None
    assert loaded.shape == (240, 320)
    assert load_reference(tmp_path / "missing.jpg") is None
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    assert load_reference(tmp_path / "broken.jpg") is None
