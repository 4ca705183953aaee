"""Fixtures of the live-stream tests: test media, the GStreamer RTSP server, a fast live context."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ingest.live import LiveContext, LiveOptions
from tests.support.rtsp import RtspTestServer, gst_rtsp_missing, write_test_video

FAST = LiveOptions(
    segment_seconds=2.0,
    backoff_min_s=0.2,
    backoff_max_s=1.0,
    analysis_fps=5.0,
    open_timeout_s=5.0,
    read_timeout_s=3.0,
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the rtsp marker."""
    config.addinivalue_line("markers", "rtsp: needs the GStreamer RTSP test server")


@pytest.fixture(scope="session")
def rtsp_missing() -> str | None:
    """Why the RTSP test server cannot run here (None when it can)."""
    return gst_rtsp_missing()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic H.264 (320x240, 10 fps, keyframe every second) as MP4 and raw Annex-B."""
    folder = tmp_path_factory.mktemp("media")
    return {
        "mp4": write_test_video(folder / "clip.mp4", seconds=4.0),
        "h264": write_test_video(folder / "live.h264", seconds=4.0),
    }


@pytest.fixture
def rtsp_server(rtsp_missing: str | None, media: dict[str, Path]) -> Iterator[RtspTestServer]:
    """The RTSP server with an endless live mount /live and a one-shot MP4 mount /clip."""
    if rtsp_missing:
        pytest.skip(rtsp_missing)
    server = RtspTestServer({"/live": f"h264:{media['h264']}", "/clip": f"mp4:{media['mp4']}"})
    with server:
        yield server


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every connection with bytes that are not RTSP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"\x00\xffNOT RTSP\x13\x37" * 512)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"rtsp://127.0.0.1:{listener.getsockname()[1]}/garbage"
    done.set()
    thread.join(5)
    listener.close()


@pytest.fixture
def live_ctx(session_factory: sessionmaker[Session], tmp_path: Path) -> LiveContext:
    """A live context with 2-second segments and short backoff and timeouts."""
    return LiveContext(
        session_factory=session_factory,
        recordings_dir=tmp_path / "recordings",
        thumbnail_dir=tmp_path / "thumbnails",
        options=FAST,
    )
