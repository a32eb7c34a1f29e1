"""Read models computed once and shared: the page, its callbacks and every open stream of one view
get the same snapshot until the analytics projection applies a batch, this process commits a write,
or the snapshot is `max_age_s` old (numbers that move with the clock, and other processes' writes
that log no event, such as a closed task).

When many readers ask for the same missing snapshot at once (a batch wakes 200 streams of one team),
the first computes it and the others wait for its result.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

SIZE = 512


class SingleFlightCache:
    """A bounded map whose missing values are computed once however many threads ask together."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._lock, self._items = threading.Lock(), OrderedDict()
        self._pending: dict = {}

    def get(self, key, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                return self._items[key]
            flight = self._pending.get(key)
            first = flight is None
            if first:
                flight = self._pending[key] = threading.Lock()
                flight.acquire()
        if not first:
            with flight:  # released once the first caller stored the value (or failed)
                pass
            return self.get(key, compute)
        try:
            value = compute()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            flight.release()


class ReadSnapshots:
    """Snapshots keyed by what they show and by (projection version, write generation, age slot)."""

    def __init__(self, version: Callable[[], int] = lambda: 0, max_age_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.version, self.max_age_s, self.clock = version, max_age_s, clock
        self.writes = 0
        self._cache = SingleFlightCache()

    def written(self) -> None:
        """This process committed a write: every snapshot may be stale."""
        self.writes += 1

    def get(self, key, compute: Callable[[], object]):
        if self.max_age_s <= 0:
            return compute()
        slot = int(self.clock() // self.max_age_s)
        return self._cache.get((key, self.version(), self.writes, slot), compute)


def stale_after(uow, flag: str, max_age_s: float, version: Callable[[], int] = lambda: 0) -> ReadSnapshots:
    """Snapshots that go stale after every commit of this process that set `flag` (data.commit_flags)."""
    snapshots = ReadSnapshots(version, max_age_s)
    uow.on_committed(flag, snapshots.written)
    return snapshots


NO_SNAPSHOTS = ReadSnapshots()  # computes every time: tests and tools that build their own dependencies
