"""The heap a process serves from is mostly what start-up built: Dash's page registry and layouts,
plotly's validators, SQLAlchemy's mappers, the pandas and DuckDB modules. Left in the collector's
care, every full (generation 2) collection walks all of it again: 95-210 ms with the GIL held in each
replica of the scale-out test, a stall for every request, stream push and worker of the process, and
the tail of its event-to-screen latency. Frozen once after start-up, it is never walked again; later
full collections see only what serving allocated.
"""
from __future__ import annotations

import contextlib
import gc


def freeze_start_up_heap() -> int:
    """Collect what start-up left as garbage, then exempt the rest from later collections; returns how
    many objects were frozen. Call once, when the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextlib.contextmanager
def heap_frozen():
    """Within the block, full collections leave out everything that existed before it. For a process
    that measures something else (a benchmark client, a test with a time limit): a full collection of
    a long test session's heap takes longer than the limits it checks, and would be counted."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
