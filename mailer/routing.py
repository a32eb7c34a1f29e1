"""Providers in failover order, each behind its own rate limit and circuit breaker.

`choose` gives the first provider whose breaker lets a call through and whose rate limit has room;
when none has, the message simply stays queued for a later pass (it is never dropped).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from mailer.breaker import CircuitBreaker
from mailer.message import MailError, OutgoingMail
from mailer.metrics import MailMetrics
from mailer.providers.base import MailProvider, OutcomeUnknown, Throttled
from mailer.ratelimit import RateLimit


@dataclass
class GuardedProvider:
    provider: MailProvider
    rate_limit: RateLimit
    breaker: CircuitBreaker

    @property
    def name(self) -> str:
        return self.provider.name


def failure_kind(error: MailError) -> str:
    """The reason label of the failed-sends counter."""
    if isinstance(error, OutcomeUnknown):
        return "unconfirmed"
    if isinstance(error, Throttled):
        return "throttled"
    return "permanent" if error.permanent else "temporary"


class ProviderChain:
    def __init__(self, guarded: Sequence[GuardedProvider], metrics: MailMetrics | None = None):
        self.guarded = list(guarded)
        self.metrics = metrics or MailMetrics()
        self.refresh_metrics()

    @classmethod
    def build(cls, providers: Sequence[MailProvider], *, per_minute: int = 60, per_hour: int = 240,
              failure_threshold: int = 5, reset_seconds: float = 60.0, metrics: MailMetrics | None = None,
              clock: Callable[[], float] = time.monotonic) -> "ProviderChain":
        """`clock` (seconds, monotonic) drives both the rate limits and the breakers."""
        metrics = metrics or MailMetrics()
        guarded = [GuardedProvider(p, RateLimit(per_minute, per_hour, clock=clock),
                                   CircuitBreaker(failure_threshold, reset_seconds, clock=clock,
                                                  on_change=lambda state, n=p.name: metrics.breaker_state(n, state)))
                   for p in providers]
        return cls(guarded, metrics)

    def by_name(self, name: str | None) -> GuardedProvider | None:
        return next((g for g in self.guarded if g.name == name), None)

    def choose(self) -> GuardedProvider | None:
        """The first provider that may send now; its rate-limit slot and breaker trial are taken."""
        for guarded in self.guarded:
            if not guarded.breaker.allows():
                continue
            if not guarded.rate_limit.try_acquire():
                self.metrics.rate_limit_wait(guarded.name)
                continue
            if guarded.breaker.begin():
                return guarded
        return None

    def release(self, guarded: GuardedProvider) -> None:
        """The chosen provider will not be called after all (the claim did not commit)."""
        guarded.breaker.cancel()

    def send(self, guarded: GuardedProvider, mail: OutgoingMail) -> str:
        """Call the provider; returns its message id or raises MailError (never anything else)."""
        try:
            provider_id = guarded.provider.send(mail)
        except MailError as exc:
            self._failed(guarded, exc)
            raise
        except Exception as exc:  # a defect in a provider adapter must not stop the dispatcher
            error = MailError(f"{guarded.name}: {exc.__class__.__name__}: {exc}")
            self._failed(guarded, error)
            raise error from exc
        guarded.breaker.succeeded()
        self.metrics.sent(guarded.name)
        return provider_id

    def _failed(self, guarded: GuardedProvider, error: MailError) -> None:
        # A permanent refusal of one mail (unknown recipient) shows the provider works.
        if error.permanent:
            guarded.breaker.succeeded()
        else:
            guarded.breaker.failed()
        self.metrics.failed(guarded.name, failure_kind(error))

    def refresh_metrics(self) -> None:
        for guarded in self.guarded:
            self.metrics.breaker_state(guarded.name, guarded.breaker.state)
