"""Keep the garbage collector's full passes short in long-running processes."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Move everything alive now (modules, schemas, routes) out of the collector's reach.

    Those objects live as long as the process. Without this, every full collection walks them
    again, and a full pass triggered in the middle of a search paused it by ~80 ms (measured
    by benchmarks/bench_event_search.py); frozen, the pass walks only request garbage.
    """
    gc.collect()
    gc.freeze()
