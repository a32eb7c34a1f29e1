"""The one background-worker shape: a thread that runs passes until stopped.

A pass (`pass_once`) says whether there may be more work: then the next pass runs at once; else the
worker waits for `wake()` or its poll interval. After a wake-up it lingers a moment (`linger_seconds`),
so a burst of commits becomes one pass instead of one pass (and one write lock) each. A pass that raises
is logged and backed off (the poll interval doubling per failure in a row, up to 30 s; a wake-up ends
the wait early): a store that refuses or a bad batch fails the pass, never the thread.

Waking after a commit is one mechanism: `worker.wake_on(uow, flag, ...)` has the unit of work call
`wake()` after every commit of a transaction that set one of the flags (data.commit_flags), until the
worker stops. The composition root wires it (app.py); other processes' commits reach a worker through
pipelines.pg_notify.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Callable, Protocol, Self

from runtime.backoff import backoff

FAILURE_CAP_S = 30.0  # the longest wait after failed passes: a store back up is noticed within it


class Commits(Protocol):
    """What a worker subscribes to (data.uow.SqlAlchemyUnitOfWork): returns the unsubscribe function."""

    def on_committed(self, flag: str, listener: Callable[[], None]) -> Callable[[], None]: ...


class Worker:
    """Subclasses implement `pass_once()`; they may refine `idle_seconds`, `linger_after`, `did_work`
    and `closed`.

    `quiet_errors`: exceptions that are expected now and then (a lost connection): one warning line
    instead of a traceback."""

    quiet_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, thread_name: str, *, poll_seconds: float = 1.0, linger_seconds: float = 0.0,
                 join_seconds: float = 10.0, wait_first: bool = False):
        """`wait_first`: the first pass comes after one poll interval, not at start. `join_seconds`: how
        long `stop()` waits for a pass in progress."""
        self.thread_name, self.poll_seconds, self.linger_seconds = thread_name, poll_seconds, linger_seconds
        self.join_seconds, self.wait_first = join_seconds, wait_first
        self._unsubscribe: list[Callable[[], None]] = []
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._worked_until = 0.0  # when the last pass that did work ended (monotonic)
        self._work_took = 0.0  # how long that pass took (s)
        self._log = logging.getLogger(type(self).__module__)  # lines appear under the worker's own module

    # -- what a subclass says --------------------------------------------------------------------
    def pass_once(self) -> bool:
        """Do one round of work; True when there may be more (run again at once)."""
        raise NotImplementedError

    def idle_seconds(self) -> float:
        """How long to wait for a wake-up when there is no more work."""
        return self.poll_seconds

    def linger_after(self, took: float, waited: float) -> float:
        """How long to gather commits after a wake-up; `took`: the seconds the last pass that did work
        took, `waited`: the seconds since it ended when the wake-up came."""
        return self.linger_seconds

    def did_work(self) -> bool:
        """Whether the pass just ended did the work a wake-up brings (False: a timed chore): only such
        passes count for `linger_after`."""
        return True

    def closed(self) -> bool:
        """True when what the passes need is gone (its store closed): a failed pass then ends the thread."""
        return False

    # -- control ---------------------------------------------------------------------------------
    def wake(self) -> None:
        """Work arrived: run a pass now instead of at the next poll."""
        self._wake.set()

    def wake_on(self, commits: Commits, *flags: str) -> Self:
        """Wake after every commit of `commits` that set one of `flags`, until `stop()`."""
        self._unsubscribe += [commits.on_committed(flag, self.wake) for flag in flags]
        return self

    def reset_backoff(self) -> None:
        """A long pass got going (a listener connected): its next failure backs off from the first step."""
        self._failures = 0

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the pass in progress; waits for it up to `timeout` (default `join_seconds`)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.join_seconds if timeout is None else timeout)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # -- the thread ------------------------------------------------------------------------------
    def _loop(self) -> None:
        if self.wait_first:
            self._wait(self.idle_seconds())
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                more = self.pass_once()
                self._failures = 0
            except Exception as exc:  # noqa: BLE001 - logged; the pass is retried after the backoff
                if self._stop.is_set() or self.closed():
                    return  # shutting down: the pass failed because its store went away
                self._failures += 1
                self._ended(started)
                self._wait(self._failed(exc))
                continue
            self._ended(started)
            if not more:
                self._wait(self.idle_seconds())

    def _ended(self, started: float) -> None:
        if self.did_work():
            self._worked_until = time.monotonic()
            self._work_took = self._worked_until - started

    def _failed(self, exc: Exception) -> float:
        """Log the failure; returns the seconds to wait before the next pass."""
        delay = min(FAILURE_CAP_S, backoff(self._failures, base=self.poll_seconds, cap=FAILURE_CAP_S))
        if isinstance(exc, self.quiet_errors):
            reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._log.warning("%s: %s; retrying in %.1f s", self.thread_name, reason, delay)
        else:
            self._log.exception("%s: pass failed (%d in a row); retrying in %.1f s",
                                self.thread_name, self._failures, delay)
        return delay

    def _wait(self, seconds: float) -> None:
        if self._wake.wait(seconds):
            linger = self.linger_after(self._work_took, time.monotonic() - self._worked_until)
            if linger > 0:
                self._stop.wait(linger)  # let a burst of commits gather into one pass
        self._wake.clear()
