"""The stream snapshot cache: a batch that wakes many streams of one scope costs one computation."""
from __future__ import annotations

import threading
import time

import pytest

from web.stream import SnapshotCache


def test_concurrent_misses_of_one_key_compute_once_and_share_the_value():
    cache, calls, results = SnapshotCache(), [], []
    start = threading.Barrier(20)

    def compute():
        calls.append(1)
        time.sleep(0.2)  # long enough for every other thread to miss while this one works
        return {"replies": 7}

    def reader():
        start.wait()
        results.append(cache.get(("manager", "7d", 3), compute))

    threads = [threading.Thread(target=reader) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert len(calls) == 1
    assert results == [{"replies": 7}] * 20


def test_a_failed_computation_is_not_cached_and_the_next_caller_computes_again():
    cache = SnapshotCache()

    def broken():
        raise RuntimeError("warehouse closed")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    assert cache.get("k", lambda: 42) == 42
    assert cache.get("k", lambda: 43) == 42  # cached now
