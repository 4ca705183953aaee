"""Camera health: one reachability sweep of 1,611 cameras and one picture sweep, timed.

Reachability: 1,611 active cameras (names and positions of samples/cameras.csv) are registered
through the registry service in a fresh SQLite database (and a fresh PostgreSQL database when
127.0.0.1:5432 answers), each pointing at its own port on 127.0.0.1: about 93 % at tiny RTSP
responders (benchmarks/health_servers.py, several processes; a quarter of them want Digest
credentials, stored encrypted, and 1 in 25 of those is stored wrong), 5 % at closed ports and 2 % at
ports that accept and never answer. One full sweep runs through the real code twice:
  - phase by phase (claims, probe targets with decrypted credentials, `run_reachability_sweep`,
    storing the 1,611 results with debounce and intervals), for the breakdown;
  - end to end as `camreg health check --all --reachability` runs it (`check_now`).
Every result is compared with what its stand-in must give (none, auth_failed, unreachable,
timeout). Reported: wall time, probes/s, p50/p95 latency of answered probes, CPU time of this
process and of the responders, peak RSS and peak open sockets (sampled from /proc/self every 5 ms).

Picture: N cameras served by the GStreamer RTSP test server (1920x1080 H.264 at 25 fps, looped
like a camera) are judged by `check_picture` with the default [health] settings, at
`max_concurrent_pictures` at a time; reported: seconds per check, CPU per check, peak RSS, and the
time a whole 1,611-camera picture sweep would take at that rate against the picture period.
Run with `make bench` (or `.venv/bin/python -m benchmarks.bench_health --backends sqlite`).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.health_servers import USER, CameraServers, cpu_seconds, password_of
from camera_registry.actor import cli_actor
from camera_registry.camera.model import Camera, CameraStatus
from camera_registry.camera.schema import CameraCreate
from camera_registry.camera.write import WriteContext, create_camera
from camera_registry.crypto import CredentialCipher
from camera_registry.db.engine import make_engine, make_session_factory
from camera_registry.db.migrate import upgrade
from camera_registry.db.unit_of_work import unit_of_work
from config import Settings
from config.settings import HealthSettings
from ingest.health.model import CameraHealth
from ingest.health.picture import check_picture
from ingest.health.reachability import run_reachability_sweep
from ingest.health.results import CheckResult, ProbeTarget
from ingest.health.schedule import claim_now, ensure_health_rows
from ingest.health.service import HealthContext, check_now, store
from ingest.health.targets import probe_targets
from ingest.health.vocabulary import CheckTier, HealthState, Reason

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "cameras.csv"
SERVER_SCRIPT = "rtsp_server.py"
PG_ADMIN = os.environ.get("CAMREG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CAMERAS = 1611
PICTURE_PERIOD_S = HealthSettings().picture_interval_s
T = TypeVar("T")


# --- measuring -------------------------------------------------------------------------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _open_sockets() -> int:
    count = 0
    for entry in os.scandir("/proc/self/fd"):
        try:
            if os.readlink(entry.path).startswith("socket:"):
                count += 1
        except OSError:
            pass  # closed between listing and reading
    return count


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sampler:
    """Sample this process's RSS and open sockets from /proc every few milliseconds."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peak_rss_mb = self.peak_sockets = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_rss_mb = max(self.peak_rss_mb, _rss_mb())
            self.peak_sockets = max(self.peak_sockets, _open_sockets())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Timed:
    """Wall and CPU seconds of one measured step, with the sampler's peaks."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    peak_sockets: int


def measure(step: Callable[[], T]) -> tuple[T, Timed]:
    """Run `step` once; return its value and what it cost this process."""
    with Sampler() as sampler:
        cpu0, wall0 = _cpu_s(), time.perf_counter()
        value = step()
        wall, cpu = time.perf_counter() - wall0, _cpu_s() - cpu0
    return value, Timed(wall, cpu, sampler.peak_rss_mb, int(sampler.peak_sockets))


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# --- databases -------------------------------------------------------------------------------


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any failure means: not here, skip PostgreSQL
        return False


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder}/health-bench.db")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    name = f"camreg_health_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the reachability sweep ------------------------------------------------------------------


def _sample_rows(count: int) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(SAMPLES.read_text(encoding="utf-8-sig"))))
    return [rows[i % len(rows)] for i in range(count)]


def _plan(servers: CameraServers) -> list[tuple[str, dict[str, Any], Reason | None]]:
    """Return (url, credentials, expected reason) per camera: responders, closed, black holes."""
    plan: list[tuple[str, dict[str, Any], Reason | None]] = []
    for index, port in enumerate(servers.healthy_ports):
        number = index + 1
        if number % 4 == 0:
            wrong = number % 100 == 0
            password = "not-" + password_of(number) if wrong else password_of(number)
            creds = {"stream_username": USER, "stream_password": password}
            url = f"rtsp://127.0.0.1:{port}/auth/{number}/Streaming/Channels/101"
            plan.append((url, creds, Reason.AUTH_FAILED if wrong else None))
        else:
            url = f"rtsp://127.0.0.1:{port}/cam/realmonitor?channel=1&subtype=0"
            plan.append((url, {}, None))
    plan += [(f"rtsp://127.0.0.1:{p}/h264", {}, Reason.UNREACHABLE) for p in servers.closed_ports]
    plan += [(f"rtsp://127.0.0.1:{p}/live", {}, Reason.TIMEOUT) for p in servers.black_hole_ports]
    return plan


def _register(
    factory: sessionmaker[Session],
    cipher: CredentialCipher,
    plan: Sequence[tuple[str, dict[str, Any], Reason | None]],
) -> dict[str, Reason | None]:
    """Register one active camera per plan entry through the registry service."""
    expected: dict[str, Reason | None] = {}
    rows = _sample_rows(len(plan))
    ctx = WriteContext(cipher=cipher)
    with unit_of_work(factory) as session:
        for index, ((url, creds, reason), row) in enumerate(zip(plan, rows, strict=True)):
            code = f"H-{index + 1:04d}"
            data = CameraCreate(
                code=code,
                name=row["name"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                status=CameraStatus.ACTIVE,
                stream_url=url,
                **creds,
            )
            create_camera(session, data=data, actor=cli_actor(), ctx=ctx)
            expected[code] = reason
    return expected


def _mismatches(results: Sequence[CheckResult], expected: dict[str, Reason | None]) -> list[str]:
    wrong = []
    for result in results:
        want = expected[result.camera_code]
        got = result.reasons[0] if result.reasons else None
        if len(result.reasons) > 1 or got != want:
            wrong.append(f"{result.camera_code}: {got} ({result.message}), expected {want}")
    return wrong


def run_reachability(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Register the cameras on one database and time one full sweep twice (phases, end to end)."""
    dead_closed = round(CAMERAS * 0.05)
    dead_silent = round(CAMERAS * 0.02)
    with (
        tempfile.TemporaryDirectory(prefix="bench-health-") as tmp,
        CameraServers(
            healthy=CAMERAS - dead_closed - dead_silent,
            black_holes=dead_silent,
            closed=dead_closed,
            processes=args.servers,
        ) as servers,
        _database(backend, Path(tmp)) as engine,
    ):
        upgrade(engine)
        factory = make_session_factory(engine)
        cipher = CredentialCipher(Fernet.generate_key())
        settings = Settings(data_dir=Path(tmp) / "var", database_url=str(engine.url))
        health = settings.health
        started = time.perf_counter()
        expected = _register(factory, cipher, _plan(servers))
        register_s = time.perf_counter() - started
        print(f"{backend}: {len(expected)} cameras registered in {register_s:.1f} s", flush=True)
        ctx = HealthContext(factory, settings, cipher, owner="bench")

        def claim() -> list[Any]:
            with unit_of_work(factory) as session:
                ids = list(session.scalars(select(Camera.id)))
                ensure_health_rows(session, settings=health, now=ctx.clock(), camera_ids=ids)
                claims, busy = claim_now(
                    session, camera_ids=ids, owner="bench", now=ctx.clock(), lease_s=600
                )
            assert not busy, busy
            return claims

        def targets_of(claims: Sequence[Any]) -> list[ProbeTarget]:
            with unit_of_work(factory) as session:
                return probe_targets(
                    session,
                    camera_ids=[c.camera_id for c in claims],
                    cipher=cipher,
                    data_dir=settings.data_dir,
                )

        claims, claim_cost = measure(claim)
        targets, targets_cost = measure(lambda: targets_of(claims))
        base_rss = _rss_mb()
        server_cpu0 = servers.responder_cpu_s()
        results, sweep_cost = measure(
            lambda: run_reachability_sweep(
                targets, timeout_s=health.probe_timeout_s, concurrency=health.max_concurrent_probes
            )
        )
        server_cpu = servers.responder_cpu_s() - server_cpu0
        stored, store_cost = measure(lambda: store(ctx, results, claims))
        wrong = _mismatches(results, expected)
        recorded = sum(1 for s in stored if s.check_id is not None)

        server_cpu0 = servers.responder_cpu_s()
        checks, end_cost = measure(lambda: check_now(ctx, codes=[], tiers={CheckTier.REACHABILITY}))
        end_server_cpu = servers.responder_cpu_s() - server_cpu0
        end_results = [
            c.results[CheckTier.REACHABILITY].result
            for c in checks
            if CheckTier.REACHABILITY in c.results
        ]
        wrong += _mismatches(end_results, expected)
        with unit_of_work(factory) as session:
            offline = session.scalar(
                select(func.count())
                .select_from(CameraHealth)
                .where(CameraHealth.state == HealthState.OFFLINE)
            )
    latencies = [r.latency_ms for r in results if r.latency_ms is not None and not r.reasons]
    reasons = Counter(r.reasons[0].value if r.reasons else "ok" for r in results)
    return {
        "backend": backend,
        "cameras": len(expected),
        "register_s": register_s,
        "claim": claim_cost,
        "targets": targets_cost,
        "sweep": sweep_cost,
        "store": store_cost,
        "end": end_cost,
        "base_rss_mb": base_rss,
        "server_cpu_s": server_cpu,
        "end_server_cpu_s": end_server_cpu,
        "servers": args.servers,
        "p50_ms": _pct(latencies, 50),
        "p95_ms": _pct(latencies, 95),
        "reasons": reasons,
        "recorded": recorded,
        "end_checked": len(end_results),
        "offline_after_two": offline,
        "wrong": wrong,
        "timeout_s": health.probe_timeout_s,
        "concurrency": health.max_concurrent_probes,
    }


# --- the picture sweep -----------------------------------------------------------------------


def run_pictures(count: int, folder: Path) -> dict[str, Any]:
    """Judge `count` 1080p25 streams of the GStreamer test server at the default concurrency."""
    from tests.support.rtsp import RtspTestServer, gst_rtsp_missing, write_test_video

    missing = gst_rtsp_missing()
    if missing:
        sys.exit(f"cannot run the RTSP test server: {missing}")
    health = HealthSettings()
    video = write_test_video(folder / "main.h264", seconds=4.0, fps=25, width=1920, height=1080)
    mounts = {f"/c{i}/main": f"h264:{video}" for i in range(count)}
    with RtspTestServer(mounts, fps=25) as server:
        targets = [
            ProbeTarget(
                camera_id=i + 1,
                code=f"P-{i + 1:02d}",
                url=server.url(f"/c{i}/main"),
                expected_width=1920,
                expected_height=1080,
                expected_fps=25.0,
            )
            for i in range(count)
        ]
        durations: list[float] = []

        def one(target: ProbeTarget) -> CheckResult:
            began = time.perf_counter()
            result = check_picture(
                target,
                seconds=health.picture_seconds,
                timeout_s=health.picture_timeout_s,
                snapshot_width=health.snapshot_width,
            )
            durations.append(time.perf_counter() - began)
            return result

        def sweep() -> list[CheckResult]:
            with ThreadPoolExecutor(health.max_concurrent_pictures) as pool:
                return list(pool.map(one, targets))

        base_rss = _rss_mb()
        server_cpu0 = _server_cpu(SERVER_SCRIPT)
        results, cost = measure(sweep)
        server_cpu = _server_cpu(SERVER_SCRIPT) - server_cpu0
    per_check_s = cost.wall_s / count  # at max_concurrent_pictures in flight
    full_sweep_s = per_check_s * CAMERAS
    return {
        "checks": count,
        "concurrency": health.max_concurrent_pictures,
        "seconds": health.picture_seconds,
        "cost": cost,
        "base_rss_mb": base_rss,
        "check_p50_s": _pct(durations, 50),
        "check_p95_s": _pct(durations, 95),
        "per_check_s": per_check_s,
        "cpu_per_check_s": cost.cpu_s / count,
        "full_sweep_s": full_sweep_s,
        "period_share": full_sweep_s / PICTURE_PERIOD_S,
        "cores_needed": cost.cpu_s / count * CAMERAS / PICTURE_PERIOD_S,
        "server_cpu_s": server_cpu,
        "reasons": Counter(",".join(r.value for r in x.reasons) or "ok" for x in results),
        "snapshots": sum(1 for r in results if r.snapshot_jpeg),
    }


def _server_cpu(script: str) -> float:
    """Return the CPU seconds of this process's children running `script` (the test server)."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == os.getpid() and script in Path(entry.path, "cmdline").read_text():
                total += cpu_seconds(int(entry.name))
        except (OSError, IndexError, ValueError):
            pass  # a process that ended meanwhile
    return total


# --- report ----------------------------------------------------------------------------------


def _reach_table(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| database | step | wall s | probes/s | CPU s | peak RSS MB | peak sockets |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        steps = [
            ("claim 1,611 cameras", r["claim"]),
            ("probe targets (decrypt credentials)", r["targets"]),
            ("**sweep** (`run_reachability_sweep`)", r["sweep"]),
            ("store results (first results: every state changes)", r["store"]),
            ("**end to end** (`check_now`, second sweep)", r["end"]),
        ]
        for label, cost in steps:
            rate = f"{r['cameras'] / cost.wall_s:.0f}" if "sweep" in label or "end" in label else ""
            lines.append(
                f"| {r['backend']} | {label} | {cost.wall_s:.2f} | {rate} | {cost.cpu_s:.2f} | "
                f"{cost.peak_rss_mb:.0f} | {cost.peak_sockets} |"
            )
    return lines


def _report(runs: Sequence[dict[str, Any]], picture: dict[str, Any] | None) -> str:
    lines = []
    for r in runs:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(r["reasons"].items()))
        lines.append(
            f"- {r['backend']}: {r['cameras']:,} cameras ({reasons}); probe timeout "
            f"{r['timeout_s']:g} s, {r['concurrency']} probes in flight; answered probes p50 "
            f"{r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms; responders ({r['servers']} "
            f"processes) used {r['server_cpu_s']:.2f} s CPU in the sweep and "
            f"{r['end_server_cpu_s']:.2f} s end to end; RSS before the sweep "
            f"{r['base_rss_mb']:.0f} MB; results as expected: "
            f"{2 * r['cameras'] - len(r['wrong'])}/{2 * r['cameras']}; stored "
            f"{r['recorded']:,}; offline after the two sweeps: {r['offline_after_two']}."
        )
    lines += ["", *_reach_table(runs)]
    if picture is not None:
        p, cost = picture, picture["cost"]
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(p["reasons"].items()))
        lines += [
            "",
            f"Picture sweep: {p['checks']} cameras, 1920x1080 H.264 at 25 fps, "
            f"{p['seconds']:g} s of frames each, {p['concurrency']} at a time; results: "
            f"{reasons}; snapshots {p['snapshots']}/{p['checks']}; GStreamer server CPU "
            f"{p['server_cpu_s']:.1f} s; RSS before {p['base_rss_mb']:.0f} MB.",
            "",
            "| checks | wall s | s/check (throughput) | check p50 s | check p95 s | CPU s/check "
            "| peak RSS MB | 1,611 cameras take | of the picture period | cores busy |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {p['checks']} | {cost.wall_s:.1f} | {p['per_check_s']:.2f} | "
            f"{p['check_p50_s']:.2f} | {p['check_p95_s']:.2f} | {p['cpu_per_check_s']:.2f} | "
            f"{cost.peak_rss_mb:.0f} | {p['full_sweep_s'] / 60:.1f} min | "
            f"{100 * p['period_share']:.0f} % of {PICTURE_PERIOD_S / 60:.0f} min | "
            f"{p['cores_needed']:.2f} |",
        ]
    return "\n".join(lines)


def main() -> None:
    """Parse options, run the sweeps, print (and write) a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--servers", type=int, default=4, help="responder processes")
    parser.add_argument("--pictures", type=int, default=24, help="cameras in the picture sweep")
    parser.add_argument("--markdown", type=Path, help="Write the report to this file too.")
    args = parser.parse_args()
    runs = []
    for backend in args.backends.split(","):
        if backend == "postgresql" and not _postgres_reachable():
            print("PostgreSQL not reachable on 127.0.0.1:5432: skipped", flush=True)
            continue
        run = run_reachability(backend, args)
        for line in run["wrong"][:10]:
            print("unexpected:", line, flush=True)
        print(_reach_table([run])[-3], flush=True)
        runs.append(run)
    picture = None
    if args.pictures:
        with tempfile.TemporaryDirectory(prefix="bench-picture-") as tmp:
            picture = run_pictures(args.pictures, Path(tmp))
    report = _report(runs, picture)
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")
    if any(r["wrong"] for r in runs):
        sys.exit("some results differ from what the stand-ins must give (see above)")


if __name__ == "__main__":
    main()
