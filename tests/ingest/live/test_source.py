"""RtspSource as a FrameSource: decoded BGR frames with aware UTC wall times, then a clear end."""

from __future__ import annotations

from datetime import UTC

import pytest

from ingest.frames import Frame
from ingest.source.rtsp_source import RtspSource, StreamError
from tests.support.rtsp import RtspTestServer, free_port

pytestmark = pytest.mark.rtsp


def test_frames_of_a_served_clip_then_stream_ended(rtsp_server: RtspTestServer) -> None:
    source = RtspSource(rtsp_server.url("/clip"), open_timeout_s=10, read_timeout_s=5)
    frames: list[Frame] = []
    try:
        assert (source.info.width, source.info.height, source.info.codec) == (320, 240, "h264")
        with pytest.raises(StreamError, match="stream ended"):
            frames.extend(source.frames())
    finally:
        source.close()
    # The 4 s clip at 10 fps; the depacketiser may drop data before the first complete frame.
    assert 30 <= len(frames) <= 40
    assert all(f.image.shape == (240, 320, 3) for f in frames)
    assert all(f.at.tzinfo is UTC for f in frames)
    assert [f.at for f in frames] == sorted(f.at for f in frames)
    span = (frames[-1].at - frames[0].at).total_seconds()
    assert frames[-1].offset_s - frames[0].offset_s == pytest.approx(span, abs=0.5)


def test_nothing_listening_is_a_clear_reason() -> None:
    source = RtspSource(f"rtsp://user:pw@127.0.0.1:{free_port()}/x", open_timeout_s=5)
    with pytest.raises(StreamError) as caught:
        source.open()
    assert caught.value.reason == "connection refused"
    assert source.url.startswith("rtsp://127.0.0.1:")
    assert "pw" not in source.url
