"""In-process mail metrics: plain counters and gauges per provider, read through `snapshot()`.

Kept free of any metrics library so the Prometheus exporter can translate a snapshot later.
"""
from __future__ import annotations

import threading
from collections import Counter


class MailMetrics:
    def __init__(self):
        self._lock = threading.Lock()
        self._sent: Counter[str] = Counter()
        self._failed: Counter[tuple[str, str]] = Counter()
        self._rate_limit_waits: Counter[str] = Counter()
        self._breaker_state: dict[str, str] = {}
        self._queue_depth = 0

    def sent(self, provider: str) -> None:
        with self._lock:
            self._sent[provider] += 1

    def failed(self, provider: str, reason: str) -> None:
        """`reason` is a short class of failure (temporary, permanent, throttled, ...), not the text."""
        with self._lock:
            self._failed[(provider, reason)] += 1

    def rate_limit_wait(self, provider: str) -> None:
        with self._lock:
            self._rate_limit_waits[provider] += 1

    def breaker_state(self, provider: str, state: str) -> None:
        with self._lock:
            self._breaker_state[provider] = state

    def queue_depth(self, depth: int) -> None:
        with self._lock:
            self._queue_depth = depth

    def snapshot(self) -> dict:
        """A consistent copy: {"sent": {provider: n}, "failed": {provider: {reason: n}},
        "rate_limit_waits": {provider: n}, "breaker_state": {provider: state}, "queue_depth": n}."""
        with self._lock:
            failed: dict[str, dict[str, int]] = {}
            for (provider, reason), count in self._failed.items():
                failed.setdefault(provider, {})[reason] = count
            return {"sent": dict(self._sent), "failed": failed,
                    "rate_limit_waits": dict(self._rate_limit_waits),
                    "breaker_state": dict(self._breaker_state), "queue_depth": self._queue_depth}
