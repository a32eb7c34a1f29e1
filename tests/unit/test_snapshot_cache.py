"""The shared read snapshots: a batch that wakes many streams of one scope costs one computation, and
a snapshot is recomputed after a projection batch, a write of this process, or its maximum age."""
from __future__ import annotations

import threading
import time

import pytest

from services.read_snapshots import ReadSnapshots, SingleFlightCache


def test_concurrent_misses_of_one_key_compute_once_and_share_the_value():
    cache, calls, results = SingleFlightCache(), [], []
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
    cache = SingleFlightCache()

    def broken():
        raise RuntimeError("warehouse closed")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    assert cache.get("k", lambda: 42) == 42
    assert cache.get("k", lambda: 43) == 42  # cached now


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


def test_a_snapshot_is_reused_until_a_batch_a_write_or_its_age_makes_it_stale():
    version, now = [0], [100.0]
    snapshots, compute = ReadSnapshots(lambda: version[0], max_age_s=5, clock=lambda: now[0]), Counter()
    assert [snapshots.get("funnel", compute) for _ in range(3)] == [1, 1, 1]
    version[0] += 1  # the projection applied a batch
    assert snapshots.get("funnel", compute) == 2
    snapshots.written()  # this process committed a write (a task closed)
    assert snapshots.get("funnel", compute) == 3
    now[0] += 5  # the age slot turned
    assert snapshots.get("funnel", compute) == 4
    assert snapshots.get("other view", compute) == 5


def test_a_maximum_age_of_zero_computes_every_time():
    snapshots, compute = ReadSnapshots(max_age_s=0), Counter()
    assert [snapshots.get("funnel", compute) for _ in range(3)] == [1, 2, 3]
