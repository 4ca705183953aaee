"""Fixtures of the health probe tests: test streams, the GStreamer RTSP server, probe targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.health.results import ProbeTarget
from tests.support.rtsp import RtspTestServer, gst_rtsp_missing, write_test_video

USER, PASSWORD = "viewer", "s3cret:P@ss/55%"  # characters URLs must escape


def pytest_configure(config: pytest.Config) -> None:
    """Register the rtsp marker (also when only these tests run)."""
    config.addinivalue_line("markers", "rtsp: needs the GStreamer RTSP test server")


def target(
    url: str,
    *,
    code: str = "CAM-1",
    camera_id: int = 1,
    username: str | None = None,
    password: str | None = None,
    expected: tuple[int, int, float] | None = None,
    reference_path: str | None = None,
) -> ProbeTarget:
    """Return a probe target for a URL; `expected` is (width, height, fps)."""
    width, height, fps = expected or (None, None, None)
    return ProbeTarget(
        camera_id=camera_id,
        code=code,
        url=url,
        username=username,
        password=password,
        expected_width=width,
        expected_height=height,
        expected_fps=fps,
        reference_path=reference_path,
    )


@pytest.fixture(scope="session")
def rtsp_missing() -> str | None:
    """Why the RTSP test server cannot run here (None when it can)."""
    return gst_rtsp_missing()


@pytest.fixture(scope="session")
def healthy_h264(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A moving synthetic scene (320x240, 10 fps) as raw Annex-B H.264, looped by the server."""
    return write_test_video(tmp_path_factory.mktemp("health") / "healthy.h264", seconds=4.0)


def _serve(
    missing: str | None, mounts: dict[str, str], **options: object
) -> Iterator[RtspTestServer]:
    if missing:
        pytest.skip(missing)
    with RtspTestServer(mounts, **options) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture(scope="module")
def open_server(rtsp_missing: str | None, healthy_h264: Path) -> Iterator[RtspTestServer]:
    """The RTSP server with an endless healthy mount /live and no password."""
    yield from _serve(rtsp_missing, {"/live": f"h264:{healthy_h264}"})


@pytest.fixture(scope="module")
def basic_server(rtsp_missing: str | None, healthy_h264: Path) -> Iterator[RtspTestServer]:
    """The RTSP server requiring Basic authentication."""
    yield from _serve(rtsp_missing, {"/live": f"h264:{healthy_h264}"}, auth=(USER, PASSWORD))


@pytest.fixture(scope="module")
def digest_server(rtsp_missing: str | None, healthy_h264: Path) -> Iterator[RtspTestServer]:
    """The RTSP server requiring Digest authentication."""
    yield from _serve(
        rtsp_missing,
        {"/live": f"h264:{healthy_h264}"},
        auth=(USER, PASSWORD),
        auth_method="digest",
    )
