"""Run every benchmark (`make bench`) and write the figures to docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "BENCHMARKS.md"
BENCHES = [
    (
        "Registry queries",
        "bench_registry",
        "Service-layer camera queries (`search_cameras`, what the API and CLI run) over the "
        "1,611 sample-sized registry and a generated 100,000-camera registry, against a plain "
        "in-memory scan of the same cameras with shapely measured in the same run. `db/scan` "
        "is the ratio of the p50 times (below 1: the database answers faster than the scan).",
    ),
    (
        "Motion-event search",
        "bench_event_search",
        "`search_events` (what the API and CLI run) for a circle around a random point in the "
        "centre and a 24-hour window over 10 million generated events on the 1,611 sample "
        "cameras (limit 500 events), after a bulk load; the insert rate of the pipeline's own "
        "event upsert is measured beside the bulk loader's. Target: p95 under 50 ms.",
    ),
    (
        "File indexing throughput",
        "bench_ingest",
        "The pipeline's analysis of a recorded file (`analyse_file` with the default parts, as "
        "`camreg ingest file` runs it: PyAV decoding, the motion detector at 5 fps, the "
        "segmenter and thumbnails; no database writes) against a plain OpenCV "
        "`cv2.VideoCapture` grab-and-retrieve loop over every frame of the same file, in the "
        "same run, median of 3 runs each, on the 640x360 sample clip and a 1080p H.264 version "
        "of it made with PyAV. `index/decode (fps)` is indexing throughput over decode-only "
        "throughput (target at least 0.8); `decode/index (CPU)` the same for CPU time per frame "
        "(all threads).",
    ),
    (
        "Live streams: CPU and memory per stream",
        "bench_live",
        "The real `camreg worker` (a subprocess, default [live] settings, no jobs) on 1, 4 and 8 "
        "active cameras, each with a 1280x720 main stream (recorded) and a 640x360 sub stream "
        "(analysed), H.264 at 10 fps served by the local GStreamer RTSP test server, on a fresh "
        "SQLite database; CPU time and resident memory (VmRSS) of the worker are read from /proc "
        "over 20 s after an 8 s warm-up, beside the idle worker (no camera) measured in the same "
        "run. MB per stream is given above the idle baseline and as RSS / N; target at most "
        "60 MB per stream.",
    ),
    (
        "Camera health (issue 4)",
        "bench_health",
        "1,611 active cameras registered through the registry service in a fresh SQLite "
        "database (and PostgreSQL when it answers), each on its own 127.0.0.1 port: tiny RTSP "
        "responders in 4 processes answering OPTIONS/DESCRIBE (a quarter with Digest "
        "credentials, 1 in 25 of those stored wrong), 5 % closed ports and 2 % ports that accept "
        "and never answer. One full reachability sweep with the default [health] settings, "
        "phase by phase and end to end (`check_now`, what `camreg health check --all` runs), "
        "every result checked against what its stand-in must give; peak RSS and open sockets "
        "sampled from /proc/self. Then a picture sweep: `check_picture` on 1080p25 streams of "
        "the GStreamer RTSP test server at `max_concurrent_pictures`, extrapolated to 1,611 "
        "cameras against the 30-minute picture period. Target: reachability sweep under 30 s.",
    ),
]


def main() -> None:
    """Run each benchmark module, collect its Markdown table, write the report."""
    free_gb = shutil.disk_usage(ROOT).free / 1e9
    if free_gb < 2:
        sys.exit(f"only {free_gb:.1f} GB free; the benchmarks need about 2 GB")
    sections = []
    for title, module, text in BENCHES:
        with tempfile.NamedTemporaryFile(suffix=".md") as table:
            subprocess.run(
                [sys.executable, "-m", f"benchmarks.{module}", "--markdown", table.name],
                cwd=ROOT,
                check=True,
            )
            sections.append(f"## {title}\n\n{text}\n\n{Path(table.name).read_text()}")
    header = (
        "# Benchmark figures\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores.\n\n"
    )
    REPORT.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"figures written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
