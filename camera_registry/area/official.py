"""Official names and codes of current wards, from the vietnam-provinces package."""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Ward

from camera_registry.text import normalise_spaces


@lru_cache(maxsize=1)
def _official_wards() -> dict[str, str]:
    # The package's names sometimes carry doubled spaces ("Phường  Rạch Dừa").
    return {str(int(w.code)): normalise_spaces(w.name) for w in Ward.iter_all()}


def official_ward_name(code: str) -> str | None:
    """Return the official current name of a ward code, or None when it is not a current ward."""
    return _official_wards().get(code.lstrip("0") or code)


def is_official_ward(code: str) -> bool:
    """Return True when the code is a current official ward or commune code."""
    return official_ward_name(code) is not None
