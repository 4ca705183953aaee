"""CPU and resident memory per live stream of the real `camreg worker`, for 1, 4 and 8 streams.

The local GStreamer RTSP test server (tests/support/rtsp.py) serves, per camera, a main stream
(1280x720) and a sub stream (640x360), both H.264 at 10 fps with a keyframe every second, each
on its own mount looping forever like a camera. N active cameras are registered in a fresh
SQLite database and `camreg worker --no-jobs` (a subprocess, default [live] settings: records
the main stream, analyses the sub stream) runs on them; after a warm-up, its CPU time and
resident memory (VmRSS, sampled every 0.5 s) are read from /proc for the measuring period.
The same is done with no camera: the idle worker's baseline. Per stream: (RSS - idle RSS) / N
and RSS / N; CPU % of one core per stream. Target: at most 60 MB per stream.
Run with `make bench` (or `.venv/bin/python -m benchmarks.bench_live --counts 1,4`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.migrate import upgrade
from camera_registry.db.unit_of_work import unit_of_work
from tests.builders import make_camera
from tests.support.rtsp import RtspTestServer, gst_rtsp_missing, write_test_video

CAMREG = Path(sys.executable).with_name("camreg")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = 1024


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime (all threads)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / PAGE_KB
    return 0.0


def _register(database_url: str, urls: list[tuple[str, str]]) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        for index, (main, sub) in enumerate(urls):
            make_camera(
                session,
                code=f"BENCH-{index + 1:02d}",
                status="active",
                stream_url=main,
                sub_stream_url=sub,
            )
    engine.dispose()


def run_worker(
    count: int, server: RtspTestServer | None, folder: Path, *, warmup_s: float, measure_s: float
) -> dict[str, Any]:
    """Run `camreg worker` on `count` cameras; return CPU and RSS over the measuring period."""
    work = Path(tempfile.mkdtemp(prefix=f"live{count}-", dir=folder))
    database_url = f"sqlite:///{work}/camreg.db"
    urls = []
    if server is not None:
        urls = [(server.url(f"/c{i}/main"), server.url(f"/c{i}/sub")) for i in range(count)]
    _register(database_url, urls)
    env = {**os.environ, "CAMREG_DATABASE_URL": database_url, "CAMREG_DATA_DIR": str(work)}
    worker = subprocess.Popen(
        [str(CAMREG), "worker", "--no-jobs", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        time.sleep(warmup_s)
        if worker.poll() is not None:
            raise RuntimeError(f"camreg worker exited early with status {worker.returncode}")
        cpu0, wall0 = _cpu_seconds(worker.pid), time.monotonic()
        rss = []
        while time.monotonic() - wall0 < measure_s:
            rss.append(_rss_mb(worker.pid))
            time.sleep(0.5)
        cpu = _cpu_seconds(worker.pid) - cpu0
        wall = time.monotonic() - wall0
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    summary = json.loads(out) if out.strip() else []
    return {
        "streams": count,
        "rss_mb": statistics.median(rss),
        "rss_peak_mb": max(rss),
        "cpu_pct": 100 * cpu / wall,
        "segments": sum(s["segments"] for s in summary),
        "gaps": sum(s["gaps"] for s in summary),
        "events": sum(s["events"] for s in summary),
        "recording": sum(1 for s in summary if s["segments"] > 0),
    }


def main() -> None:
    """Parse options, run the idle worker and each stream count, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", default="1,4,8")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring period per run")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring")
    parser.add_argument("--markdown", type=Path, help="Write the table to this file too.")
    args = parser.parse_args()
    missing = gst_rtsp_missing()
    if missing:
        sys.exit(f"cannot run the RTSP test server: {missing}")
    counts = [int(c) for c in args.counts.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        folder = Path(tmp)
        main_file = write_test_video(folder / "main.h264", seconds=4.0, width=1280, height=720)
        sub_file = write_test_video(folder / "sub.h264", seconds=4.0, width=640, height=360)
        mounts = {}
        for i in range(max(counts)):
            mounts[f"/c{i}/main"] = f"h264:{main_file}"
            mounts[f"/c{i}/sub"] = f"h264:{sub_file}"
        idle = run_worker(0, None, folder, warmup_s=args.warmup, measure_s=args.seconds)
        print(f"idle worker: RSS {idle['rss_mb']:.1f} MB, CPU {idle['cpu_pct']:.1f} %", flush=True)
        results = []
        with RtspTestServer(mounts) as server:
            for count in counts:
                r = run_worker(count, server, folder, warmup_s=args.warmup, measure_s=args.seconds)
                r["per_stream_mb"] = (r["rss_mb"] - idle["rss_mb"]) / count
                r["total_per_stream_mb"] = r["rss_mb"] / count
                r["cpu_per_stream_pct"] = r["cpu_pct"] / count
                results.append(r)
                print(
                    f"{count} streams: RSS {r['rss_mb']:.1f} MB (peak {r['rss_peak_mb']:.1f}), "
                    f"{r['per_stream_mb']:.1f} MB/stream above idle, "
                    f"{r['total_per_stream_mb']:.1f} MB/stream in all; CPU {r['cpu_pct']:.1f} % "
                    f"({r['cpu_per_stream_pct']:.1f} %/stream); cameras recording "
                    f"{r['recording']}/{count}, segments {r['segments']}, gaps {r['gaps']}, "
                    f"live events {r['events']}",
                    flush=True,
                )
    lines = [
        f"Idle worker (no camera): RSS {idle['rss_mb']:.1f} MB, CPU {idle['cpu_pct']:.1f} %. "
        f"{os.cpu_count()} cores; CPU % is of one core.",
        "",
        "| streams | RSS MB (median) | RSS MB (peak) | MB/stream above idle | MB/stream (RSS/N) "
        "| CPU % | CPU %/stream | cameras recording | live events |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['streams']} | {r['rss_mb']:.1f} | {r['rss_peak_mb']:.1f} | "
            f"{r['per_stream_mb']:.1f} | {r['total_per_stream_mb']:.1f} | {r['cpu_pct']:.1f} | "
            f"{r['cpu_per_stream_pct']:.1f} | {r['recording']}/{r['streams']} | {r['events']} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
