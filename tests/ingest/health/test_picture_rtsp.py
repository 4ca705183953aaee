"""Picture checks over RTSP: GStreamer's server loops streams the tests make (healthy, black,
frozen, noisy but still, blurred, moved, covered); connection failures keep their reasons."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from ingest.health.grab import GrabFailed, grab_frames
from ingest.health.picture import check_picture
from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.vocabulary import CheckTier, HealthState, Reason
from tests.ingest.health.conftest import PASSWORD, USER, target
from tests.support import picture_streams as ps
from tests.support.rtsp import RtspTestServer, free_port
from tests.support.rtsp_responder import (
    BlackHoleServer,
    RefusingProxy,
    ScriptedRtspServer,
    healthy,
)

pytestmark = pytest.mark.rtsp

SECONDS = 2.0


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test streams as looped raw H.264 (320x240, 10 fps), and the reference picture."""
    folder = tmp_path_factory.mktemp("pictures")
    base = ps.scene()
    makers = {
        "healthy": ps.moving(base),
        "black": ps.black(),
        "frozen": ps.still(base),
        "noisy": ps.noisy(base),
        "blurred": ps.blurred(ps.moving(base)),
        "moved": ps.noisy(ps.shifted(base, 0.12)),
        "covered": ps.noisy(ps.covered(base, 0.85)),
    }
    files = {
        name: ps.write_h264(folder / f"{name}.h264", make, seconds=3.0)
        for name, make in makers.items()
    }
    files["short"] = ps.write_h264(folder / "short.mp4", ps.moving(base), seconds=1.0)
    files["reference"] = folder / "reference.jpg"
    cv2.imwrite(str(files["reference"]), base)
    return files


@pytest.fixture(scope="module")
def picture_server(rtsp_missing: str | None, streams: dict[str, Path]) -> Iterator[RtspTestServer]:
    """One RTSP server with a mount per test stream."""
    if rtsp_missing:
        pytest.skip(rtsp_missing)
    mounts = {
        f"/{name}": f"h264:{path}" for name, path in streams.items() if path.suffix == ".h264"
    }
    mounts["/short"] = f"mp4:{streams['short']}"  # one second, then the stream ends
    with RtspTestServer(mounts) as server:
        yield server


def check(probe_target: ProbeTarget, timeout_s: float = 15.0) -> CheckResult:
    return check_picture(probe_target, seconds=SECONDS, timeout_s=timeout_s, snapshot_width=160)


def test_healthy_stream_is_online_with_measures_and_a_snapshot(
    picture_server: RtspTestServer,
) -> None:
    result = check(
        target(picture_server.url("/healthy"), code="CAM-9", camera_id=9, expected=(320, 240, 10.0))
    )
    assert (result.camera_code, result.tier) == ("CAM-9", CheckTier.PICTURE)
    assert result.reasons == (), result.details
    assert result.state is HealthState.ONLINE
    assert (result.details["width"], result.details["height"]) == (320, 240)
    assert result.details["fps"] == pytest.approx(10.0, rel=0.1)
    assert result.details["frames"] >= SECONDS * 10 * 0.8
    assert result.snapshot_jpeg is not None
    snapshot = cv2.imdecode(np.frombuffer(result.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert snapshot is not None
    assert snapshot.shape == (120, 160, 3)
    assert snapshot.std() > 10  # a picture, not a blank


def test_registry_expectations_unlike_the_stream(picture_server: RtspTestServer) -> None:
    result = check(target(picture_server.url("/healthy"), expected=(1920, 1080, 25.0)))
    assert result.reasons == (Reason.WRONG_RESOLUTION, Reason.WRONG_FPS)
    assert result.state is HealthState.DEGRADED
    assert result.message == "wrong_resolution, wrong_fps"


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        ("/black", (Reason.BLACK,)),
        ("/frozen", (Reason.FROZEN,)),
        ("/noisy", ()),  # a still scene with sensor noise is not frozen
        ("/blurred", (Reason.BLURRED,)),
    ],
)
def test_picture_faults_without_a_reference(
    picture_server: RtspTestServer, mount: str, expected: tuple[Reason, ...]
) -> None:
    result = check(target(picture_server.url(mount)))
    assert result.reasons == expected, result.details
    assert result.snapshot_jpeg is not None


@pytest.mark.parametrize(
    ("mount", "expected"),
    [("/noisy", ()), ("/moved", (Reason.MOVED,)), ("/covered", (Reason.TAMPERED,))],
)
def test_against_the_reference_picture(
    picture_server: RtspTestServer,
    streams: dict[str, Path],
    mount: str,
    expected: tuple[Reason, ...],
) -> None:
    probe_target = target(picture_server.url(mount), reference_path=str(streams["reference"]))
    result = check(probe_target)
    assert result.reasons == expected, result.details
    assert isinstance(result.details["reference"], dict)


def test_unreadable_reference_is_reported(picture_server: RtspTestServer, tmp_path: Path) -> None:
    result = check(
        target(picture_server.url("/healthy"), reference_path=str(tmp_path / "gone.jpg"))
    )
    assert result.reasons == ()
    assert result.details["reference"] == "unreadable: set the reference picture again"


def test_connection_failures_keep_the_reachability_reason(
    basic_server: RtspTestServer,
) -> None:
    refused = check(target(f"rtsp://127.0.0.1:{free_port()}/live"))
    assert refused.reasons == (Reason.UNREACHABLE,)
    assert refused.tier is CheckTier.PICTURE
    assert refused.snapshot_jpeg is None
    wrong = check(target(basic_server.url("/live"), username=USER, password="wrong"))
    assert wrong.reasons == (Reason.AUTH_FAILED,)
    right = check(target(basic_server.url("/live"), username=USER, password=PASSWORD))
    assert right.reasons == (), right.details  # PyAV gets the credentials too
    assert PASSWORD not in f"{right.details} {right.message}"


def test_hung_camera_times_out_within_the_timeout() -> None:
    with BlackHoleServer() as hole:
        started = time.monotonic()
        result = check(target(hole.url()), timeout_s=2.0)
        elapsed = time.monotonic() - started
    assert result.reasons == (Reason.TIMEOUT,)
    assert elapsed < 5.0  # bounded by the timeout, generous against a hang


def test_rtsp_server_that_sends_no_video_is_no_frames() -> None:
    # Answers OPTIONS and DESCRIBE like a camera, then never delivers a stream.
    with ScriptedRtspServer(healthy) as server:
        started = time.monotonic()
        result = check(target(server.url()), timeout_s=4.0)
        elapsed = time.monotonic() - started
    assert result.reasons == (Reason.NO_FRAMES,)
    assert result.message is not None
    assert result.message.startswith("connected, but no frames")
    assert result.state is HealthState.DEGRADED
    assert elapsed < 10.0


def test_a_refused_first_connection_is_retried_once(picture_server: RtspTestServer) -> None:
    # Some cameras (and GStreamer's shared media) refuse a connection right after another.
    with RefusingProxy(picture_server.port, refuse_first=1) as proxy:
        grab = grab_frames(proxy.url("/healthy"), None, seconds=1.0, timeout_s=10.0)
        assert proxy.connections == 2
    assert len(grab.grey) >= 5
    with RefusingProxy(picture_server.port, refuse_first=2) as proxy:
        with pytest.raises(GrabFailed, match="5XX"):
            grab_frames(proxy.url("/healthy"), None, seconds=1.0, timeout_s=10.0)
        assert proxy.connections == 2  # once, not a retry loop


def test_a_stream_that_ends_early_is_judged_on_what_it_showed(
    picture_server: RtspTestServer,
) -> None:
    started = time.monotonic()
    result = check_picture(
        target(picture_server.url("/short")), seconds=4.0, timeout_s=10.0, snapshot_width=160
    )
    elapsed = time.monotonic() - started
    assert result.reasons == (), result.details
    assert 5 <= result.details["frames"] <= 11
    assert result.snapshot_jpeg is not None
    assert elapsed < 15.0
