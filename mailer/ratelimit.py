"""A rate limit per provider (default 60 a minute and 240 an hour), on pyrate-limiter's sliding
window log kept in memory. Items are stamped with the limit's own clock, so tests can move time."""
from __future__ import annotations

import threading
import time
from typing import Callable

from pyrate_limiter import Duration, InMemoryBucket, Rate, RateItem


class RateLimit:
    def __init__(self, per_minute: int = 60, per_hour: int = 240, clock: Callable[[], float] = time.monotonic):
        self._bucket = InMemoryBucket(_binding_rates(per_minute, per_hour))
        self._clock = clock
        self._lock = threading.Lock()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def try_acquire(self) -> bool:
        """Take one send from the budget; False (and nothing taken) when a window is full."""
        with self._lock:
            now = self._now_ms()
            self._bucket.leak(now)
            return self._bucket.put(RateItem("send", now))


def _binding_rates(per_minute: int, per_hour: int) -> list[Rate]:
    """The limits that can bind: the library wants the hourly one looser than the minute one and
    tighter than 60 full minutes; outside that range one of the two is implied by the other."""
    if per_hour <= per_minute:
        return [Rate(per_hour, Duration.HOUR)]
    if per_hour >= 60 * per_minute:
        return [Rate(per_minute, Duration.MINUTE)]
    return [Rate(per_minute, Duration.MINUTE), Rate(per_hour, Duration.HOUR)]
