"""The detector ignores what makes other systems cry wolf, and keeps real activity alive."""

from __future__ import annotations

import pytest

from ingest.motion.detector import BackgroundMotionDetector
from ingest.motion.settings import MotionSettings
from ingest.synthetic import Parked, SceneSpec, SyntheticScene, Walker
from tests.ingest.motion.scenes import events, seconds

QUIET = {
    "night sensor noise": SceneSpec(duration_s=60, seed=2, light=0.35, noise=9),
    "slow light drift": SceneSpec(duration_s=150, seed=3, noise=2, drift=0.5),
    "lights switched and IR mode": SceneSpec(
        duration_s=60, seed=4, light=0.6, noise=4, switches=(15.0, 30.0, 45.0)
    ),
    "pole swaying by a pixel": SceneSpec(duration_s=60, seed=5, noise=2, sway=True),
    "rain and leaves": SceneSpec(duration_s=60, seed=6, noise=2, flicker=True),
    "everything at night": SceneSpec(
        duration_s=90,
        seed=7,
        light=0.4,
        noise=8,
        drift=0.3,
        sway=True,
        flicker=True,
        switches=(40.0,),
    ),
}


@pytest.mark.parametrize("name", list(QUIET))
def test_quiet_scene_gives_no_event(name: str) -> None:
    assert events(QUIET[name]) == []


def test_fresh_start_has_no_burst_of_false_motion() -> None:
    scene = SyntheticScene(
        SceneSpec(duration_s=8, seed=8, light=0.5, noise=7, sway=True, flicker=True)
    )
    detector = BackgroundMotionDetector()
    samples = [detector.analyse(frame) for frame in scene.frames()]
    assert samples
    assert not any(sample.active for sample in samples)


def test_walker_gives_one_event_bounding_the_walk() -> None:
    spec = SceneSpec(duration_s=40, seed=9, noise=3, sway=True, walkers=(Walker(10),))
    found = events(spec)
    assert len(found) == 1
    start, end = seconds(found[0])
    (truth_start, truth_end) = SyntheticScene(spec).episodes[0]
    assert abs(start - truth_start) < 1.0
    assert abs(end - truth_end) < 1.0


def test_person_standing_still_keeps_the_event_alive() -> None:
    walker = Walker(5, stop_x=150, stand_s=45)
    spec = SceneSpec(duration_s=75, seed=10, light=0.5, noise=5, walkers=(walker,))
    found = events(spec)
    assert len(found) == 1
    start, end = seconds(found[0])
    assert start < 6
    assert end > 60


def test_statue_still_person_is_held_for_a_while() -> None:
    walker = Walker(5, stop_x=150, stand_s=20, still=True)
    spec = SceneSpec(duration_s=50, seed=11, noise=3, walkers=(walker,))
    found = events(spec)
    assert len(found) == 1
    assert seconds(found[0])[1] > 35


def test_parked_object_adapts_into_the_background() -> None:
    settings = MotionSettings()
    spec = SceneSpec(duration_s=150, seed=12, noise=3, parked=(Parked(10),))
    found = events(spec, settings)
    drive_end = SyntheticScene(spec).episodes[0][1]
    assert len(found) == 1
    # Held while it might be a person standing still, then part of the background: no ghost.
    assert seconds(found[0])[1] < drive_end + settings.still_hold_s + 5


def test_masked_area_is_ignored() -> None:
    spec = SceneSpec(duration_s=30, seed=13, noise=2, walkers=(Walker(5, y=30),))
    mask = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.45), (0.0, 0.45)]
    assert len(events(spec)) == 1
    assert events(spec, MotionSettings(masks=[mask])) == []


def test_zones_touched_are_reported() -> None:
    spec = SceneSpec(duration_s=30, seed=14, noise=2, walkers=(Walker(5, y=110),))
    zones = {
        "pavement": [(0.0, 0.55), (1.0, 0.55), (1.0, 0.85), (0.0, 0.85)],
        "sky": [(0.0, 0.0), (1.0, 0.0), (1.0, 0.2), (0.0, 0.2)],
    }
    found = events(spec, MotionSettings(zones=zones))
    assert len(found) == 1
    assert found[0].zones == frozenset({"pavement"})
