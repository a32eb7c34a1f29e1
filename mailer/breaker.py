"""A circuit breaker per provider: closed -> open after N consecutive failures -> half-open after a
pause, where exactly one trial call decides between closed and open again.

Small and clock-injected rather than pybreaker: the dispatcher must ask "would you let a call
through?" before it spends a rate-limit token, and tests must move time without sleeping.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, reset_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, on_change: Callable[[str], None] | None = None):
        self.failure_threshold, self.reset_seconds, self._clock = failure_threshold, reset_seconds, clock
        self._on_change = on_change or (lambda state: None)
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.reset_seconds:
            return HALF_OPEN
        return OPEN

    def allows(self) -> bool:
        """Whether a call may start now (no side effect)."""
        with self._lock:
            state = self._state()
            return state == CLOSED or (state == HALF_OPEN and not self._trial_running)

    def begin(self) -> bool:
        """Take the right to call; in half-open only the first taker gets the one trial call."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def begin_many(self, wanted: int) -> int:
        """`begin` for a batch: how many calls of `wanted` may start now; in half-open just the trial."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return wanted
            if state == HALF_OPEN and not self._trial_running and wanted > 0:
                self._trial_running = True
                return 1
            return 0

    def succeeded(self) -> None:
        with self._lock:
            changed = self._opened_at is not None
            self._failures, self._opened_at, self._trial_running = 0, None, False
        if changed:
            self._on_change(CLOSED)

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            trial_failed = self._trial_running
            self._trial_running = False
            opens = trial_failed or (self._opened_at is None and self._failures >= self.failure_threshold)
            if opens:
                self._opened_at = self._clock()
        if opens:
            self._on_change(OPEN)

    def cancel(self) -> None:
        """A call taken with `begin` did not happen after all: free the half-open trial."""
        with self._lock:
            self._trial_running = False
