"""File indexing throughput against decode-only throughput of the same file, in the same run.

Decode-only is a plain OpenCV loop (`cv2.VideoCapture`, default threads, `grab()` + `retrieve()`
of every frame). Indexing is the pipeline's analysis as `camreg ingest file` runs it
(`analyse_file` with `default_analysis`: PyAV `FileSource`, `BackgroundMotionDetector`,
`EventSegmenter`, thumbnails included), without the database writes. Each is run three times per
file and the median is kept; wall time gives frames per second, process CPU time (all threads)
gives CPU seconds per frame. Files: the 640x360 sample clip and a 1080p H.264 version of it
made here with PyAV (upscaled, same 40 s, cached under var/bench/).
Run with `make bench` (or `.venv/bin/python -m benchmarks.bench_ingest`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2

from config.settings import IngestSettings
from ingest.pipeline.analysis import analyse_file, default_analysis

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "samples" / "footage" / "bottle-detection.mp4"
CACHE = ROOT / "var" / "bench"
START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def make_1080p(source: Path, target: Path) -> Path:
    """Encode an upscaled 1920x1080 H.264 copy of `source` (same frames and rate) once."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.mp4")
    with av.open(str(source)) as inp, av.open(str(partial), "w") as out:
        in_stream = inp.streams.video[0]
        rate = in_stream.average_rate or Fraction(30, 1)
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        # Like a camera's main stream: a keyframe every 2 s, no B-frames, moderate bitrate.
        stream.options = {"preset": "veryfast", "g": str(round(float(rate) * 2)), "bf": "0"}
        stream.bit_rate = 6_000_000
        for index, frame in enumerate(inp.decode(in_stream)):
            big = frame.reformat(width=1920, height=1080, format="yuv420p")
            big.pts = index
            big.time_base = Fraction(1, 1) / rate
            for packet in stream.encode(big):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    partial.rename(target)
    return target


def decode_only(path: Path) -> int:
    """Grab and retrieve every frame with OpenCV's default backend and threads; return count."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise RuntimeError(f"OpenCV cannot open {path}")
    frames = 0
    try:
        while capture.grab():
            ok, _image = capture.retrieve()
            if not ok:
                break
            frames += 1
    finally:
        capture.release()
    return frames


def index_file(path: Path) -> int:
    """Run the pipeline's analysis of the file (what `camreg ingest file` runs); return frames."""
    analysed = analyse_file(path, START, analysis=default_analysis(IngestSettings()))
    return analysed.frames


def _timed(run: Callable[[Path], int], path: Path) -> tuple[int, float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    frames = run(path)
    return frames, time.perf_counter() - wall0, time.process_time() - cpu0


def measure(path: Path, repeats: int) -> dict[str, Any]:
    """Alternate decode-only and indexing runs; return the medians and their ratios."""
    decode: list[tuple[int, float, float]] = []
    index: list[tuple[int, float, float]] = []
    for _ in range(repeats):
        decode.append(_timed(decode_only, path))
        index.append(_timed(index_file, path))
    d_frames, i_frames = decode[0][0], index[0][0]
    d_wall = statistics.median(w for _, w, _ in decode)
    i_wall = statistics.median(w for _, w, _ in index)
    d_cpu = statistics.median(c for _, _, c in decode)
    i_cpu = statistics.median(c for _, _, c in index)
    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        size = f"{ctx.width}x{ctx.height}"
    result: dict[str, Any] = {
        "file": path.name,
        "size": size,
        "frames": i_frames,
        "decode_frames": d_frames,
        "decode_fps": d_frames / d_wall,
        "index_fps": i_frames / i_wall,
        "decode_cpu_ms": 1000 * d_cpu / d_frames,
        "index_cpu_ms": 1000 * i_cpu / i_frames,
    }
    result["ratio_fps"] = result["index_fps"] / result["decode_fps"]
    # CPU ratio as decode CPU per frame over index CPU per frame (1 = indexing costs no more).
    result["ratio_cpu"] = result["decode_cpu_ms"] / result["index_cpu_ms"]
    return result


def _format(r: dict[str, Any]) -> str:
    return (
        f"{r['file']:<28} {r['size']:>9} {r['frames']:>5} fr | decode {r['decode_fps']:7.1f} fps "
        f"{r['decode_cpu_ms']:6.2f} ms cpu/fr | index {r['index_fps']:7.1f} fps "
        f"{r['index_cpu_ms']:6.2f} ms cpu/fr | fps ratio {r['ratio_fps']:.2f} "
        f"cpu ratio {r['ratio_cpu']:.2f}"
    )


def main() -> None:
    """Parse options, run, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="Write the table to this file too.")
    args = parser.parse_args()
    files = [CLIP, make_1080p(CLIP, CACHE / "bottle-detection-1080p.mp4")]
    results = []
    for path in files:
        result = measure(path, args.repeats)
        results.append(result)
        print(_format(result), flush=True)
    lines = [
        "| file | size | frames | decode-only fps | indexing fps | index/decode (fps) "
        "| decode CPU ms/frame | indexing CPU ms/frame | decode/index (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['file']} | {r['size']} | {r['frames']} | {r['decode_fps']:.1f} | "
            f"{r['index_fps']:.1f} | {r['ratio_fps']:.2f} | {r['decode_cpu_ms']:.2f} | "
            f"{r['index_cpu_ms']:.2f} | {r['ratio_cpu']:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
