"""Score the motion detector (and the plain MOG2 baseline) against footage with known activity.

Footage: the labelled sample clip, the sample GIFs (recall only) and synthetic scenes with noise,
light drift and switches, a swaying pole, flicker, walkers and people who stand still. Prints,
per footage and over all: episode recall, coverage, false events per hour and false event-seconds
per hour (events outside episodes widened by 2 s). Exits 1 when the real detector misses a target.

    .venv/bin/python scripts/score_motion.py [--json] [--short]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.frames import Frame
from ingest.motion.base import MotionDetector
from ingest.motion.baseline import Mog2BaselineDetector
from ingest.motion.detector import BackgroundMotionDetector
from ingest.motion.segmenter import EventSegmenter
from ingest.source import FileSource
from ingest.synthetic import SceneSpec, SyntheticScene, Walker

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = ROOT / "samples" / "footage"
START = datetime(2026, 1, 1, tzinfo=UTC)
WIDEN_S = 2.0
TARGETS = {"recall": 0.98, "coverage": 0.95, "false_events_per_h": 1.0, "false_s_per_h": 10.0}
DETECTORS: dict[str, Callable[[], MotionDetector]] = {
    "detector": BackgroundMotionDetector,
    "baseline": Mog2BaselineDetector,
}
Span = tuple[float, float]


@dataclass
class Footage:
    """Something to score: frames, truth, and whether it counts beyond recall."""

    name: str
    frames: Callable[[], Iterable[Frame]]
    episodes: list[Span]
    duration_s: float
    recall_only: bool = False


@dataclass
class Tally:
    """Counts that add up over footage."""

    episodes: int = 0
    found: int = 0
    episode_s: float = 0.0
    covered_s: float = 0.0
    hours: float = 0.0
    false_events: int = 0
    false_s: float = 0.0
    events: list[Span] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        for name in ("episodes", "found", "episode_s", "covered_s", "hours"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.false_events += other.false_events
        self.false_s += other.false_s

    def figures(self) -> dict[str, float]:
        """Return recall, coverage and the false-alarm rates."""
        hours = self.hours or float("nan")
        return {
            "recall": self.found / self.episodes if self.episodes else float("nan"),
            "coverage": self.covered_s / self.episode_s if self.episode_s else float("nan"),
            "false_events_per_h": self.false_events / hours,
            "false_s_per_h": self.false_s / hours,
        }


def overlap(a: Span, b: Span) -> float:
    """Return the seconds two spans share."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def touches(a: Span, b: Span) -> bool:
    """Return True when two closed spans meet."""
    return a[0] <= b[1] and b[0] <= a[1]


def score(events: Sequence[Span], footage: Footage) -> Tally:
    """Score one footage's events against its episodes."""
    tally = Tally(events=list(events), episodes=len(footage.episodes))
    tally.found = sum(1 for ep in footage.episodes if any(touches(ep, ev) for ev in events))
    if footage.recall_only:
        return tally
    tally.hours = footage.duration_s / 3600.0
    tally.episode_s = sum(b - a for a, b in footage.episodes)
    # Events never overlap each other, so overlaps add up without double counting.
    tally.covered_s = sum(overlap(ep, ev) for ep in footage.episodes for ev in events)
    widened = [(a - WIDEN_S, b + WIDEN_S) for a, b in footage.episodes]
    for ev in events:
        inside = sum(overlap(ev, wide) for wide in _merged(widened))
        tally.false_s += max(0.0, (ev[1] - ev[0]) - inside)
        tally.false_events += 0 if any(touches(ev, wide) for wide in widened) else 1
    return tally


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def run(footage: Footage) -> dict[str, Tally]:
    """Run every detector over one footage (frames decoded once) and score each."""
    detectors = {name: make() for name, make in DETECTORS.items()}
    segmenters = {name: EventSegmenter() for name in DETECTORS}
    drafts: dict[str, list[Span]] = {name: [] for name in DETECTORS}
    origin: datetime | None = None
    for frame in footage.frames():
        origin = origin or frame.at - (frame.at - frame.at)
        for name, detector in detectors.items():
            ended = segmenters[name].push(detector.analyse(frame), None)
            drafts[name] += [_span(d.start, d.end) for d in ended]
    for name, segmenter in segmenters.items():
        drafts[name] += [_span(d.start, d.end) for d in segmenter.flush()]
    return {name: score(spans, footage) for name, spans in drafts.items()}


def _span(start: datetime, end: datetime) -> Span:
    return ((start - START).total_seconds(), (end - START).total_seconds())


def sample_footage() -> list[Footage]:
    """Return the labelled clip and the GIFs from samples/footage."""
    truth = json.loads((FOOTAGE / "bottle-detection.truth.json").read_text())
    clip = FileSource(FOOTAGE / truth["file"], START)
    out = [
        Footage(
            "bottle-detection.mp4",
            clip.frames,
            [(float(a), float(b)) for a, b in truth["activity"]],
            clip.info.duration_s or float(truth["duration_s"]),
        )
    ]
    for gif in sorted(FOOTAGE.glob("*.gif")):
        source = FileSource(gif, START)
        span = (0.0, source.info.duration_s or 0.0)
        out.append(Footage(gif.name, source.frames, [span], span[1], recall_only=True))
    return out


# A street at night: sensor noise, drift, a swaying pole, leaves; walkers and one who stands.
NIGHT = SceneSpec(
    duration_s=600,
    seed=11,
    light=0.4,
    noise=7,
    drift=0.15,
    sway=True,
    flicker=True,
    walkers=(
        Walker(40),
        Walker(250, leftwards=True, y=125),
        Walker(330, stop_x=140, stand_s=30),
        Walker(480, speed=45),
    ),
)
# By day with strong drift and the lights switched twice while nobody is there.
DAY = SceneSpec(
    duration_s=600,
    seed=12,
    noise=2,
    drift=0.3,
    sway=True,
    flicker=True,
    switches=(150.0, 420.0),
    walkers=(Walker(60), Walker(200, y=95, shade=190), Walker(520, leftwards=True)),
)
# People who walk in and stand still for 40 and 60 s, one passer-by meanwhile.
STANDING = SceneSpec(
    duration_s=360,
    seed=13,
    noise=3,
    sway=True,
    walkers=(
        Walker(20, stop_x=150, stand_s=40),
        Walker(180, stop_x=90, stand_s=60, leftwards=True, y=120),
        Walker(200, y=70, speed=25),
    ),
)
# Eight quiet minutes at night with every nuisance and an IR switch.
QUIET = SceneSpec(
    duration_s=480,
    seed=14,
    light=0.35,
    noise=8,
    drift=0.2,
    sway=True,
    flicker=True,
    switches=(240.0,),
)
# Three minutes with a bit of everything, for the test suite.
BRIEF = SceneSpec(
    duration_s=180,
    seed=15,
    light=0.5,
    noise=6,
    drift=0.2,
    sway=True,
    flicker=True,
    switches=(150.0,),
    walkers=(Walker(10), Walker(60, stop_x=150, stand_s=25)),
)


def synthetic_specs(short: bool = False) -> list[tuple[str, SceneSpec]]:
    """Return the synthetic scenes (34 minutes; 3 minutes when short)."""
    if short:
        return [("synthetic-short", BRIEF)]
    return [
        ("synthetic-night", NIGHT),
        ("synthetic-day", DAY),
        ("synthetic-standing", STANDING),
        ("synthetic-quiet", QUIET),
    ]


def synthetic_footage(short: bool = False) -> list[Footage]:
    """Return the synthetic scenes as footage with their truth."""
    out = []
    for name, spec in synthetic_specs(short):
        scene = SyntheticScene(spec, START)
        out.append(Footage(name, scene.frames, scene.episodes, spec.duration_s))
    return out


def evaluate(footage: Sequence[Footage]) -> dict[str, dict[str, Tally]]:
    """Return per-footage tallies and an 'overall' tally for each detector."""
    results: dict[str, dict[str, Tally]] = {}
    overall = {name: Tally() for name in DETECTORS}
    for item in footage:
        results[item.name] = run(item)
        for name, tally in results[item.name].items():
            overall[name].add(tally)
    results["overall"] = overall
    return results


def misses(figures: dict[str, float]) -> list[str]:
    """Return the targets the figures miss."""
    out = [k for k in ("recall", "coverage") if not figures[k] >= TARGETS[k]]
    out += [k for k in ("false_events_per_h", "false_s_per_h") if not figures[k] <= TARGETS[k]]
    return out


def table(results: dict[str, dict[str, Tally]]) -> str:
    """Return the results as a plain text table."""
    head = (
        f"{'footage':<42} {'detector':<9} {'recall':>11} {'coverage':>9} "
        f"{'false/h':>8} {'false s/h':>10}"
    )
    lines = [head, "-" * len(head)]
    for footage, tallies in results.items():
        for name, tally in tallies.items():
            f = tally.figures()
            recall = f"{tally.found}/{tally.episodes} {f['recall']:.2f}"
            lines.append(
                f"{footage:<42} {name:<9} {recall:>11} {f['coverage']:>9.3f} "
                f"{f['false_events_per_h']:>8.2f} {f['false_s_per_h']:>10.1f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Score both detectors, print the table (or JSON), exit 1 when the detector misses a target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--short", action="store_true", help="a 3-minute synthetic scene only")
    args = parser.parse_args(argv)
    results = evaluate(sample_footage() + synthetic_footage(args.short))
    overall = results["overall"]["detector"].figures()
    failed = misses(overall)
    if args.json:
        doc = {
            footage: {name: {**_finite(t.figures()), **_counts(t)} for name, t in tallies.items()}
            for footage, tallies in results.items()
        }
        print(json.dumps({"targets": TARGETS, "results": doc, "missed": failed}, indent=2))
    else:
        print(table(results))
        scored = results["overall"]["detector"]
        quiet_min = (scored.hours * 3600 - scored.episode_s) / 60
        print(
            f"scored for coverage and false alarms: {scored.hours * 60:.1f} min of footage, "
            f"{quiet_min:.1f} min of it without activity"
        )
        print(f"targets: {TARGETS}; detector misses: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


def _finite(figures: dict[str, float]) -> dict[str, float | None]:
    """Return the figures with NaN (nothing to measure) as None, which JSON can carry."""
    return {k: None if math.isnan(v) else v for k, v in figures.items()}


def _counts(tally: Tally) -> dict[str, object]:
    counts = asdict(tally)
    counts["events"] = [[round(a, 2), round(b, 2)] for a, b in tally.events]
    return counts


if __name__ == "__main__":
    sys.exit(main())
