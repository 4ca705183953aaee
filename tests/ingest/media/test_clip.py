"""Clips cut by remuxing real H.264 / H.265 files made with PyAV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from ingest.media.clip import ClipSource, FootageMissing, FootageUnreadable, cut_clip
from tests.ingest.media.video import FPS, decoded_frames, make_video, packet_payloads

T0 = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _source(path: Path, start: float, seconds: float = 6) -> ClipSource:
    return ClipSource(path=path, start=_s(start), end=_s(start + seconds))


@pytest.mark.parametrize("container", ["mp4", "matroska"])
def test_cut_starts_at_the_keyframe_before_the_start_and_copies_packets(
    tmp_path: Path, container: str
) -> None:
    source = make_video(tmp_path / f"src.{container[:3]}", container=container)
    out = tmp_path / "clip.mp4"
    info = cut_clip([_source(source, 0)], _s(2.5), _s(4.2), out)
    assert info.start == _s(2)  # keyframes every second
    assert info.end >= _s(4.2)
    assert (info.codec, info.inline, info.sources) == ("h264", True, 1)
    # No re-encode: the clip's packets are a run of the source's packets, byte for byte.
    clip, original = packet_payloads(out), packet_payloads(source)
    first = 2 * FPS
    assert clip == original[first : first + len(clip)]
    assert decoded_frames(out) == len(clip) >= int(1.7 * FPS)
    with av.open(str(out)) as result, av.open(str(source)) as src:
        assert result.format.name.startswith("mov,mp4")
        assert result.metadata["creation_time"] == "2026-03-12T14:00:02.000000Z"
        new, old = result.streams.video[0].codec_context, src.streams.video[0].codec_context
        assert (new.name, new.width, new.height, new.extradata) == (
            old.name,
            old.width,
            old.height,
            old.extradata,
        )


def test_faststart_puts_the_index_first(tmp_path: Path) -> None:
    source = make_video(tmp_path / "src.mp4")
    out = tmp_path / "clip.mp4"
    cut_clip([_source(source, 0)], _s(1), _s(3), out)
    data = out.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_cut_spans_two_consecutive_segments(tmp_path: Path) -> None:
    first = make_video(tmp_path / "a.mp4")
    second = make_video(tmp_path / "b.mkv", container="matroska")
    out = tmp_path / "clip.mp4"
    info = cut_clip([_source(second, 6), _source(first, 0)], _s(4.5), _s(8), out)
    assert info.start == _s(4)
    assert info.sources == 2
    assert info.end >= _s(8)
    clip = packet_payloads(out)
    assert clip[: 2 * FPS] == packet_payloads(first)[4 * FPS :]
    assert clip[2 * FPS :] == packet_payloads(second)[: len(clip) - 2 * FPS]
    assert decoded_frames(out) == len(clip)
    with av.open(str(out)) as result:
        assert result.duration is not None
        assert result.duration / 1_000_000 == pytest.approx(3.9, abs=0.35)


def test_no_footage_in_the_range_is_a_clear_error(tmp_path: Path) -> None:
    source = make_video(tmp_path / "a.mp4", seconds=2)
    with pytest.raises(FootageMissing, match="no recording"):
        cut_clip([_source(source, 0, 2)], _s(10), _s(12), tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()


def test_h265_is_remuxed_as_hvc1_for_download(tmp_path: Path) -> None:
    if "libx265" not in av.codecs_available:
        pytest.skip("this FFmpeg build has no libx265 encoder to make an H.265 source")
    source = make_video(tmp_path / "h.mp4", codec="libx265")
    out = tmp_path / "clip.mp4"
    info = cut_clip([_source(source, 0)], _s(2.5), _s(4.2), out)
    assert (info.codec, info.inline, info.start) == ("hevc", False, _s(2))
    clip = packet_payloads(out)
    assert clip == packet_payloads(source)[2 * FPS : 2 * FPS + len(clip)]
    with av.open(str(out)) as result:
        assert result.streams.video[0].codec_tag == "hvc1"
        assert result.metadata["creation_time"].startswith("2026-03-12T14:00:02")


def test_missing_or_broken_recording_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    out = tmp_path / "clip.mp4"
    for path in (tmp_path / "gone.mp4", broken):
        with pytest.raises(FootageUnreadable, match=path.name):
            cut_clip([_source(path, 0)], _s(1), _s(2), out)
        assert not out.exists()


def test_exact_start_is_kept_beside_the_whole_second_creation_time(tmp_path: Path) -> None:
    source = make_video(tmp_path / "src.mp4")
    out = tmp_path / "clip.mp4"
    info = cut_clip([_source(source, 0.25)], _s(2.5), _s(4), out)
    assert info.start == _s(2.25)
    with av.open(str(out)) as result:
        assert result.metadata["creation_time"] == "2026-03-12T14:00:02.000000Z"
        assert result.metadata["comment"] == "first frame at 2026-03-12T14:00:02.250000Z"


def test_gif_footage_gives_a_clear_error(tmp_path: Path) -> None:
    from ingest.media.clip import ClipUnsupported

    gif = Path(__file__).resolve().parents[3] / "samples" / "footage" / "people-detection.gif"
    start = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
    source = ClipSource(path=gif, start=start, end=start + timedelta(seconds=3))
    out = tmp_path / "clip.mp4"
    with pytest.raises(ClipUnsupported, match="download the original"):
        cut_clip([source], start, start + timedelta(seconds=2), out)
    assert not out.exists()
