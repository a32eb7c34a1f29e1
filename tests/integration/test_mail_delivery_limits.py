"""The email core's breakers, failover and rate limits: a breaker opens, fails over and closes after
one trial; a full rate limit fails over and the rest waits; a burst never exceeds the limits."""
from __future__ import annotations

from collections import Counter

from mailer.api import MailError, queue_mail
from mailer.breaker import CircuitBreaker
from tests.integration.test_mail_delivery_support import (RecordingProvider, clock, dispatcher, messages,  # noqa: F401
                                                          queue, request, uow)


def test_breaker_opens_fails_over_and_closes_after_one_trial(uow, clock):
    first = RecordingProvider("a", errors=[MailError("connection refused")] * 5)
    second = RecordingProvider("b")
    for n in range(8):
        queue(uow, f"m{n}", clock.now)
    mailer = dispatcher(uow, [first, second], clock)
    mailer.dispatch_once()
    assert len(first.calls) == 5 and len(second.calls) == 3
    assert mailer.metrics.snapshot()["breaker_state"] == {"a": "open", "b": "closed"}
    clock.advance(60)  # half-open: the next call is the one trial and it succeeds
    assert mailer.metrics.snapshot()["breaker_state"]["a"] == "open"
    mailer.dispatch_once()
    assert mailer.metrics.snapshot()["breaker_state"] == {"a": "closed", "b": "closed"}
    assert len(first.calls) == 10 and len(second.calls) == 3  # the 5 retries went back to the first
    assert {row.status for row in messages(uow).values()} == {"sent"}
    assert mailer.metrics.snapshot()["failed"] == {"a": {"temporary": 5}}


def test_half_open_allows_exactly_one_trial_and_a_failed_trial_reopens():
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=5, reset_seconds=60, clock=lambda: now[0])
    for _ in range(4):
        breaker.failed()
    assert breaker.state == "closed"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 60.0
    assert breaker.begin() and not breaker.begin() and not breaker.allows()
    breaker.failed()
    assert breaker.state == "open"
    now[0] = 120.0
    assert breaker.begin()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.begin() and breaker.begin()


def test_an_exhausted_rate_limit_fails_over_and_the_rest_waits(uow, clock):
    first, second = RecordingProvider("a"), RecordingProvider("b")
    for n in range(5):
        queue(uow, f"m{n}", clock.now)
    mailer = dispatcher(uow, [first, second], clock, per_minute=2, per_hour=100)
    assert mailer.dispatch_once() == 4
    assert (len(first.calls), len(second.calls)) == (2, 2)
    snapshot = mailer.metrics.snapshot()
    assert snapshot["queue_depth"] == 1 and snapshot["rate_limit_waits"] == {"a": 3, "b": 1}
    clock.advance(61)
    assert mailer.dispatch_once() == 1 and len(first.calls) == 3
    assert mailer.metrics.snapshot()["sent"] == {"a": 3, "b": 2}


def test_a_burst_of_1000_never_exceeds_the_rate_and_loses_none(uow, clock):
    """The default limits (60 a minute, 240 an hour) in simulated time: about 4 hours of sending."""
    provider = RecordingProvider("a", clock=clock.monotonic)
    with uow() as tx:
        for n in range(1000):
            queue_mail(tx, request(n=n), f"burst-{n}", clock.now)
        tx.commit()
    mailer = dispatcher(uow, [provider], clock)
    for _ in range(2000):
        if mailer.dispatch_once(limit=1000) == 0 and mailer.metrics.snapshot()["queue_depth"] == 0:
            break
        clock.advance(20)
    times = sorted(t for _, t in provider.calls)
    assert Counter(key for key, _ in provider.calls) == Counter({f"burst-{n}": 1 for n in range(1000)})
    assert {row.status for row in messages(uow).values()} == {"sent"}
    for window, limit in ((60, 60), (3600, 240)):
        busiest = max(sum(1 for t in times[i:i + limit + 1] if t < start + window) for i, start in enumerate(times))
        assert busiest <= limit
    assert times[-1] - times[0] < 4.5 * 3600  # and the budget is actually used
