"""Providers in failover order, each behind its own rate limit and circuit breaker.

`choose_many` hands a batch of messages to the first provider whose breaker lets calls through and
whose rate limit has room, spilling what its limit turns away to the next; what no provider takes
simply stays queued for a later pass (it is never dropped).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from mailer.breaker import CLOSED, CircuitBreaker
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

    @property
    def verifiable(self) -> bool:
        """Whether the provider can tell after a crash if it has a mail (`has_mail`): only then may a
        whole batch be claimed for it, as a crash would otherwise leave every claimed mail unconfirmed."""
        return type(self.provider).has_mail is not MailProvider.has_mail


@dataclass(frozen=True)
class Route:
    """How many of a batch each provider takes, in order; `blocked`: limits or breakers left some over."""
    allotments: list[tuple[GuardedProvider, int]]
    blocked: bool


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

    def batch_size(self, wanted: int) -> int:
        """How many messages the next claim may take: all `wanted` when the provider that would get
        them is closed and verifiable, else one (a half-open trial, or a provider that cannot tell)."""
        for guarded in self.guarded:
            if guarded.breaker.allows() and guarded.rate_limit.has_room():
                return wanted if guarded.verifiable and guarded.breaker.state == CLOSED else 1
        return 1

    def choose_many(self, count: int) -> Route:
        """Rate-limit tokens and breaker calls for `count` messages, taken per provider in one go.
        A half-open trial or an unverifiable provider takes a single message and ends the route."""
        allotments, left = [], count
        for guarded in self.guarded:
            if left == 0:
                break
            whole = guarded.verifiable and guarded.breaker.state == CLOSED
            calls = guarded.breaker.begin_many(left if whole else 1)
            if not calls:
                continue
            granted = guarded.rate_limit.acquire_up_to(calls)
            for _ in range(calls - granted):  # one wait per message its limit turned away
                self.metrics.rate_limit_wait(guarded.name)
            if not granted:
                guarded.breaker.cancel()
                continue
            allotments.append((guarded, granted))
            left -= granted
            if not whole:
                return Route(allotments, blocked=False)
        return Route(allotments, blocked=left > 0)

    def release(self, route: Route) -> None:
        """The chosen providers will not be called after all (the claim did not commit)."""
        for guarded, _ in route.allotments:
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
