"""Nearest-rank percentiles and the summary row of one timed measurement."""
from __future__ import annotations

import math
from typing import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `pct` per cent of all samples at or below it."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile {pct} is outside (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(pct * len(ordered) / 100)  # pct * n first: 7 / 100 * 100 would round up to rank 8
    return ordered[max(rank, 1) - 1]


def summarize(name: str, samples_ms: Sequence[float], events: int) -> dict:
    """One results.json row: p50/p95/p99 in milliseconds, the sample count and the data size in events."""
    return {"name": name, "p50_ms": round(percentile(samples_ms, 50), 2), "p95_ms": round(percentile(samples_ms, 95), 2),
            "p99_ms": round(percentile(samples_ms, 99), 2), "n": len(samples_ms), "events": events}


def value_row(name: str, value: float, unit: str) -> dict:
    """A results.json row for a single figure: a throughput, a memory peak, a duration or a count."""
    return {"name": name, "value": round(value, 2) if isinstance(value, float) else value, "unit": unit}
