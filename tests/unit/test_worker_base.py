"""The background-worker shape every worker shares (runtime.worker) and the one backoff (runtime.backoff)."""
import logging
import random
import threading
import time

import pytest

from runtime.backoff import backoff
from runtime.worker import Worker


class Counting(Worker):
    """Records when each pass started; `fail` passes raise first; `more` passes say there is more work."""

    def __init__(self, fail: int = 0, more: int = 0, pass_seconds: float = 0.0, **kw):
        super().__init__("counting", **kw)
        self.starts: list[float] = []
        self.finished = 0
        self.fail, self.more, self.pass_seconds = fail, more, pass_seconds
        self.passed = threading.Semaphore(0)

    def pass_once(self) -> bool:
        self.starts.append(time.monotonic())
        try:
            time.sleep(self.pass_seconds)
            if len(self.starts) <= self.fail:
                raise RuntimeError(f"pass {len(self.starts)} failed")
            self.finished += 1
            return len(self.starts) <= self.fail + self.more
        finally:
            self.passed.release()


class Commits:
    """A unit of work's subscription side, as a worker sees it."""

    def __init__(self):
        self.listeners: dict[str, list] = {}

    def on_committed(self, flag, listener):
        self.listeners.setdefault(flag, []).append(listener)
        return lambda: self.listeners[flag].remove(listener)

    def commit(self, flag):
        for listener in tuple(self.listeners.get(flag, ())):
            listener()


@pytest.fixture
def workers():
    started = []
    yield lambda worker: started.append(worker.start()) or worker
    for worker in started:
        worker.stop()


def passes(worker: Counting, n: int, timeout: float = 5.0) -> bool:
    return all(worker.passed.acquire(timeout=timeout) for _ in range(n))


def test_a_wake_up_runs_a_pass_before_the_poll_interval(workers):
    worker = workers(Counting(poll_seconds=30))
    assert passes(worker, 1)  # the first pass runs at start
    worker.wake()
    assert passes(worker, 1), "a wake-up did not run a pass"
    assert len(worker.starts) == 2


def test_a_burst_of_wake_ups_lingers_into_one_pass(workers):
    worker = workers(Counting(poll_seconds=30, linger_seconds=0.3))
    assert passes(worker, 1)
    woken = time.monotonic()
    for _ in range(5):
        worker.wake()
        time.sleep(0.02)
    assert passes(worker, 1)
    assert worker.starts[1] - woken >= 0.29, "the pass did not wait for the burst to gather"
    assert not worker.passed.acquire(timeout=0.5), "the burst made more than one pass"


def test_a_pass_that_says_more_runs_again_at_once(workers):
    worker = workers(Counting(poll_seconds=30, more=2))
    assert passes(worker, 3, timeout=2.0)
    assert not worker.passed.acquire(timeout=0.3)


def test_stop_waits_for_the_pass_in_progress_and_ends_the_thread():
    worker = Counting(poll_seconds=30, pass_seconds=0.3).start()
    time.sleep(0.05)  # inside the first pass
    worker.stop()
    assert worker.finished == 1 and not worker.running
    idle = Counting(poll_seconds=30).start()
    assert passes(idle, 1)
    started = time.monotonic()
    idle.stop()
    assert time.monotonic() - started < 2.0 and not idle.running, "stop did not end the idle wait"


def test_a_failing_pass_is_logged_and_backed_off_and_the_loop_goes_on(workers, caplog):
    caplog.set_level(logging.ERROR)
    worker = workers(Counting(poll_seconds=0.2, fail=2))
    assert passes(worker, 3, timeout=10.0)
    first_wait, second_wait = worker.starts[1] - worker.starts[0], worker.starts[2] - worker.starts[1]
    assert first_wait >= 0.2 * 0.7 and second_wait >= 0.4 * 0.7, "no backoff after a failure"
    assert worker.finished == 1 and worker.running
    failures = [r for r in caplog.records if "pass failed" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None
    assert failures[0].name == __name__, "the line is logged under the worker's own module"


def test_a_wake_up_ends_a_backoff_early(workers):
    worker = workers(Counting(poll_seconds=20, fail=1))
    assert passes(worker, 1)
    worker.wake()
    assert passes(worker, 1, timeout=5.0), "the backoff ignored a wake-up"


def test_a_failing_pass_after_its_store_closed_ends_the_thread_quietly(caplog):
    class Closed(Counting):
        def closed(self) -> bool:
            return True

    worker = Closed(poll_seconds=30, fail=1).start()
    assert passes(worker, 1)
    worker._thread.join(2.0)
    assert not worker.running and not caplog.records
    worker.stop()


def test_wait_first_runs_the_first_pass_after_one_interval(workers):
    started = time.monotonic()
    worker = workers(Counting(poll_seconds=0.3, wait_first=True))
    assert passes(worker, 1)
    assert worker.starts[0] - started >= 0.29


def test_a_worker_is_woken_by_the_commits_it_waits_for_until_it_stops():
    commits = Commits()
    worker = Counting(poll_seconds=30).wake_on(commits, "mail_queued").start()
    try:
        assert passes(worker, 1)
        commits.commit("events_written")
        assert not worker.passed.acquire(timeout=0.3), "woken by a commit it does not wait for"
        commits.commit("mail_queued")
        assert passes(worker, 1)
    finally:
        worker.stop()
    assert commits.listeners == {"mail_queued": []}, "still subscribed after stop"


def test_backoff_doubles_from_its_base_up_to_its_cap_with_jitter():
    assert [backoff(n, base=1.0, cap=300.0, jitter=0) for n in (0, 1, 2, 3, 9, 10, 60)] == \
        [1.0, 1.0, 2.0, 4.0, 256.0, 300.0, 300.0]
    rng = random.Random(7)
    delays = [backoff(3, base=2.0, cap=600.0, rng=rng) for _ in range(500)]
    assert 8 * 0.7 <= min(delays) < max(delays) <= 8 * 1.3
    capped = [backoff(30, base=2.0, cap=600.0) for _ in range(200)]
    assert 420 <= min(capped) < max(capped) <= 780


def test_linger_is_told_how_long_the_worker_was_idle(workers):
    class Recording(Counting):
        waits: list[float] = []

        def linger_after(self, took, waited):
            self.waits.append(waited)
            return 0.0

    worker = workers(Recording(poll_seconds=30))
    assert passes(worker, 1)
    time.sleep(0.3)
    worker.wake()
    assert passes(worker, 1)
    assert 0.28 <= worker.waits[0] < 5


def test_a_pass_that_did_no_work_neither_ends_the_quiet_nor_sets_how_long_to_gather(workers):
    class Chores(Counting):
        waits: list[tuple[float, float]] = []

        def did_work(self):
            return len(self.starts) == 1  # the first pass worked; later ones were timed chores

        def linger_after(self, took, waited):
            self.waits.append((took, waited))
            return 0.0

    worker = workers(Chores(poll_seconds=30, pass_seconds=0.1))
    assert passes(worker, 1)
    time.sleep(0.3)
    worker.wake()
    assert passes(worker, 1)  # a chore
    worker.wake()
    assert passes(worker, 1)
    (took1, waited1), (took2, waited2) = worker.waits
    assert 0.09 <= took1 < 1 and took2 == took1, "took is the working pass's"
    assert waited2 >= waited1 + 0.09, "the chore in between did not end the quiet"


def test_the_projection_applies_the_first_event_after_a_quiet_spell_at_once_and_gathers_a_burst():
    from data.warehouse import DuckDbWarehouse
    from pipelines.analytics_projection import MAX_LINGER_S, QUIET_S, AnalyticsProjection
    projection = AnalyticsProjection(None, DuckDbWarehouse(":memory:"), linger_seconds=0.02)
    assert projection.linger_after(took=0.2, waited=QUIET_S + 1) == 0.0  # no events applied for long
    assert projection.linger_after(took=0.01, waited=0.01) == 0.02
    assert projection.linger_after(took=0.2, waited=0.01) == MAX_LINGER_S
    assert not projection.did_work(), "no pass applied events yet"
