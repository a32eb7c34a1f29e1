"""A rate limit per provider (default 60 a minute and 240 an hour): a sliding window log kept in
memory, stamped with the limit's own clock so tests can move time.

Each entry is (time, how many sends), so a batch takes its tokens in one entry and the log stays as
short as the number of acquisitions, not of mails. A send counts in a window while its stamp is at
least `now - window` (the window's start is inclusive), which never lets more than the limit through
in any window of that length.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class _Window:
    def __init__(self, limit: int, seconds: int):
        self.limit, self.span_ms = limit, seconds * 1000
        self.log: deque[list[int]] = deque()  # [stamp_ms, count], oldest first
        self.used = 0

    def room(self, now_ms: int) -> int:
        start = now_ms - self.span_ms
        while self.log and self.log[0][0] < start:
            self.used -= self.log.popleft()[1]
        return self.limit - self.used

    def take(self, now_ms: int, count: int) -> None:
        if self.log and self.log[-1][0] == now_ms:
            self.log[-1][1] += count
        else:
            self.log.append([now_ms, count])
        self.used += count


class RateLimit:
    def __init__(self, per_minute: int = 60, per_hour: int = 240, clock: Callable[[], float] = time.monotonic):
        self._windows = (_Window(per_minute, 60), _Window(per_hour, 3600))
        self._clock = clock
        self._lock = threading.Lock()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def has_room(self) -> bool:
        """Whether one send would be let through now (nothing taken)."""
        with self._lock:
            now = self._now_ms()
            return min(w.room(now) for w in self._windows) > 0

    def try_acquire(self) -> bool:
        """Take one send from the budget; False (and nothing taken) when a window is full."""
        return self.acquire_up_to(1) == 1

    def acquire_up_to(self, wanted: int) -> int:
        """Take as many of `wanted` sends as every window has room for, in one go; returns how many."""
        with self._lock:
            now = self._now_ms()
            granted = max(0, min(wanted, *(w.room(now) for w in self._windows)))
            if granted:
                for window in self._windows:
                    window.take(now, granted)
            return granted
