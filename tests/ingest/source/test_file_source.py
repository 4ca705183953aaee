"""FileSource on the real sample clip and GIF, and on damaged files and files that are no video."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from ingest.source import FileSource, MediaError

FOOTAGE = Path(__file__).resolve().parents[3] / "samples" / "footage"
CLIP = FOOTAGE / "bottle-detection.mp4"
START = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


def test_sample_clip_info_frames_and_times() -> None:
    source = FileSource(CLIP, START)
    info = source.info
    assert (info.width, info.height, info.codec) == (640, 360, "h264")
    assert abs(info.fps - 29.83) < 0.01
    assert info.duration_s is not None
    assert abs(info.duration_s - 39.85) < 0.1
    frames = list(source.frames())
    assert len(frames) == 1189
    assert frames[0].at == START
    assert frames[0].offset_s == 0.0
    assert frames[0].image.shape == (360, 640, 3)
    assert frames[0].image.dtype == np.uint8
    offsets = [f.offset_s for f in frames]
    assert all(b > a for a, b in itertools.pairwise(offsets))
    assert abs(offsets[-1] - 39.82) < 0.01
    assert frames[-1].at == START + timedelta(seconds=offsets[-1])
    assert frames[-1].at.utcoffset() == timedelta(0)


def test_gif_is_read_like_a_video() -> None:
    source = FileSource(FOOTAGE / "classroom.gif", START)
    assert (source.info.width, source.info.height, source.info.codec) == (480, 270, "gif")
    assert len(list(source.frames())) == 45


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        FileSource(CLIP, datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize("content", [b"", b"not a video at all\n" * 200])
def test_not_a_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError) as caught:
        FileSource(path, START)
    assert caught.value.frames_decoded == 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        FileSource(tmp_path / "gone.mp4", START)


def test_clip_cut_before_its_index_cannot_be_opened(tmp_path: Path) -> None:
    data = CLIP.read_bytes()  # the sample keeps its index (moov) at the end
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        FileSource(path, START)


def test_corrupt_middle_decodes_what_it_can_then_reports(tmp_path: Path) -> None:
    data = bytearray(CLIP.read_bytes())
    data[100_000:150_000] = bytes(50_000)
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(bytes(data))
    seen, error = _count_until_error(FileSource(path, START))
    assert seen > 0
    assert error is not None
    assert error.frames_decoded == seen


def _count_until_error(source: FileSource) -> tuple[int, MediaError | None]:
    """Return how many frames came out, and the MediaError raised after them (if any)."""
    seen = 0
    try:
        for _ in source.frames():
            seen += 1
    except MediaError as exc:
        return seen, exc
    return seen, None


def _faststart_clip(path: Path, frames: int = 50) -> None:
    """Write a small H.264 MP4 with its index first, as cameras that stream to disk do."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        for i in range(frames):
            image = np.full((90, 160, 3), 40, dtype=np.uint8)
            image[:, i * 3 : i * 3 + 10] = 230
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_truncated_clip_yields_its_frames_then_reports(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    _faststart_clip(whole)
    assert len(list(FileSource(whole, START).frames())) == 50
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    seen, error = _count_until_error(FileSource(cut, START))
    assert 0 < seen < 50
    assert error is not None
    assert "truncated" in error.reason
    assert error.frames_decoded == seen


@pytest.mark.parametrize("prefetch", [0, 4])
def test_stopping_early_releases_the_decoder(prefetch: int) -> None:
    before = threading.active_count()
    frames = FileSource(CLIP, START, prefetch=prefetch).frames()
    first = next(frames)
    assert first.offset_s == 0.0
    frames.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before


def test_inline_and_prefetched_decoding_agree() -> None:
    inline = [
        f.offset_s for f in FileSource(FOOTAGE / "people-detection.gif", START, prefetch=0).frames()
    ]
    ahead = [
        f.offset_s for f in FileSource(FOOTAGE / "people-detection.gif", START, prefetch=4).frames()
    ]
    assert inline == ahead
    assert len(inline) == 23
