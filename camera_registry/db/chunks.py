"""Split long `IN (...)` lists so every backend stays far below its bound-parameter limit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

ID_CHUNK = 1000


def chunked(values: Sequence[T], size: int = ID_CHUNK) -> Iterator[list[T]]:
    """Yield consecutive slices of at most `size` values, in order."""
    for first in range(0, len(values), size):
        yield list(values[first : first + size])
