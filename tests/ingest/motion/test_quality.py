"""The scoring script on a short synthetic scene and the labelled clip meets the targets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "score_motion.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_motion", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["score_motion"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_detector_meets_the_targets_on_short_footage() -> None:
    script = _script()
    clip = [f for f in script.sample_footage() if f.name == "bottle-detection.mp4"]
    results = script.evaluate(clip + script.synthetic_footage(short=True))
    overall = results["overall"]["detector"]
    assert overall.episodes >= 9
    assert script.misses(overall.figures()) == []
    assert "recall" in results["overall"]["baseline"].figures()


def test_scoring_counts_false_events_and_seconds_outside_widened_episodes() -> None:
    script = _script()
    footage = script.Footage("made up", list, [(10.0, 20.0)], 3600.0)
    tally = script.score([(9.0, 15.0), (21.0, 23.0), (100.0, 104.0)], footage)
    figures = tally.figures()
    assert figures["recall"] == 1.0
    assert figures["coverage"] == 0.5
    assert figures["false_events_per_h"] == 1.0
    assert figures["false_s_per_h"] == 5.0  # 1 s past the widened end, and the 4 s event
