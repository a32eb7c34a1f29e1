"""The dispatcher: sends queued mail in batches, so that no key is ever sent twice.

For a batch of due messages, in one committed transaction: check suppression and consent again, share
them out to the providers (breaker closed, rate limit free) and record `sending` with each one's
provider. Only then call the provider once per message, and record every outcome of the batch (`sent`,
`failed` with the next attempt time, or `dead`) in one more transaction. A whole batch is claimed only
for a provider that can tell after a crash whether it has a mail; any other gets one message at a time.

A message still `sending` after its lease (a crash between the call and the record) is reconciled,
never sent blindly again: the file provider looks for its .eml (found: sent; missing: the call never
happened, so the message is queued again); every other provider cannot tell, so the message becomes
`unconfirmed` and stays so until a person or a provider event settles it.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from itertools import islice
from datetime import datetime, timedelta, timezone
from typing import Callable

from data.commit_flags import MAIL_QUEUED
from domain.model import MessageStatus
from mailer.breaker import CLOSED
from mailer.message import MailError, MailOutcomes, OutgoingMail, compose
from mailer.providers import OutcomeUnknown, build_providers
from mailer.routing import GuardedProvider, ProviderChain, Route
from mailer.tracking import with_tracking
from runtime.backoff import backoff
from runtime.worker import Worker

LINGER_SECONDS = 0.02  # every commit that queued mail wakes it: a burst of them makes one pass
log = logging.getLogger(__name__)
# Longer than any provider call may take (their timeouts are 30 s): after it, `sending` means a crash.
SENDING_LEASE = timedelta(minutes=5)


def retry_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempt + 1`: 2 s doubling per attempt, capped at 10 min, +-30% jitter."""
    return backoff(attempt, base=2.0, cap=600.0, rng=rng)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempts: int
    guarded: GuardedProvider
    mail: OutgoingMail
    previous_provider: str | None  # put back when the call is not made after all


class MailDispatcher(Worker):
    def __init__(self, uow, chain: ProviderChain, *, sender: str, secret: str, base_url: str,
                 clock: Callable[[], datetime] = _utc_now, max_attempts: int = 8, batch: int = 100,
                 poll_seconds: float = 1.0, rng: random.Random | None = None, outcomes: MailOutcomes | None = None,
                 tracking: bool = False):
        super().__init__("mail-dispatcher", poll_seconds=poll_seconds, linger_seconds=LINGER_SECONDS,
                         join_seconds=60.0)
        self.uow, self.chain, self.clock = uow, chain, clock
        self.outcomes = outcomes or MailOutcomes()
        self.sender, self.secret, self.base_url, self.tracking = sender, secret, base_url, tracking
        self.max_attempts, self.batch = max_attempts, batch
        self.rng = rng or random.Random()
        self.metrics = chain.metrics

    def start(self) -> "MailDispatcher":
        """Queued mail is all its work: a started dispatcher is woken by every commit that queued some."""
        self.wake_on(self.uow, MAIL_QUEUED)
        return super().start()

    def pass_once(self) -> bool:
        return self.dispatch_once() >= self.batch

    # -- one pass --------------------------------------------------------------------------------
    def dispatch_once(self, limit: int | None = None) -> int:
        """Reconcile expired `sending` messages, then send up to `limit` due ones in batches; returns
        how many messages changed state. Stops early when nothing is due or no provider may send now."""
        with self.uow(write=False) as tx:  # an idle pass takes no write lock (SQLite has one for all)
            store = tx.email_messages
            if not store.has_work(self.clock()):
                self.metrics.queue_depth(store.depth())
                self.chain.refresh_metrics()
                return 0
        handled = self._reconcile()
        limit = self.batch if limit is None else limit
        while handled < limit and not self.stopping:
            claimed = self._claim_batch(min(self.batch, limit - handled))
            if claimed is None:
                break
            claims, refused, blocked = claimed
            handled += refused + self._send_batch(claims)
            if blocked:
                break
        with self.uow(write=False) as tx:
            self.metrics.queue_depth(tx.email_messages.depth())
        self.chain.refresh_metrics()
        return handled

    def _claim_batch(self, wanted: int) -> tuple[list[Claim], int, bool] | None:
        """In one transaction: the due messages, the suppressed ones settled, and the rest claimed
        (`sending`) for the providers that take them. Returns (claims, how many were refused,
        whether limits or breakers left some unclaimed), or None when nothing is due."""
        with self.uow() as tx:
            store, now = tx.email_messages, self.clock()
            messages = store.due(now, self.chain.batch_size(wanted))
            if not messages:
                return None
            refusals = store.refusals(messages)
            for message in messages:
                if message.id in refusals:
                    self._settle(message, MessageStatus.SUPPRESSED, refusals[message.id])
            sendable = [m for m in messages if m.id not in refusals]
            route = self.chain.choose_many(len(sendable)) if sendable else Route([], blocked=False)
            claims = self._claims(sendable, route, now)
            try:
                tx.commit()
            except Exception:
                self.chain.release(route)
                raise
            return claims, len(refusals), route.blocked

    def _claims(self, sendable: list, route: Route, now: datetime) -> list[Claim]:
        claims, pending = [], iter(sendable)
        for guarded, count in route.allotments:
            for message in islice(pending, count):
                claims.append(Claim(message.id, message.attempts + 1, guarded, self._compose(message),
                                    message.provider))
                message.status, message.provider = MessageStatus.SENDING.value, guarded.name
                message.attempts, message.next_attempt_at = message.attempts + 1, now + SENDING_LEASE
        return claims

    def _compose(self, message) -> OutgoingMail:
        # Tracking is added as the mail leaves: the stored body keeps the links as written, which is
        # where a click's redirect target is read from (mailer/tracking.py).
        body = with_tracking(message.body_html, message.id, self.secret, self.base_url) if self.tracking else message.body_html
        return compose(message.idempotency_key, message.to_email, message.subject, body,
                       message.body_text, sender=self.sender, secret=self.secret, base_url=self.base_url,
                       date=self.clock())

    def _send_batch(self, claims: list[Claim]) -> int:
        """Call the provider once per claim, then record every outcome in one transaction. Once a
        provider's breaker opens, its remaining claims are not called but put back in the queue."""
        results: list[tuple[Claim, str | MailError | None]] = []
        halted: set[str] = set()
        for claim in claims:
            if claim.guarded.name in halted:
                results.append((claim, None))
                continue
            try:
                results.append((claim, self.chain.send(claim.guarded, claim.mail)))
            except MailError as error:
                results.append((claim, error))
                if claim.guarded.breaker.state != CLOSED:
                    halted.add(claim.guarded.name)
        if results:
            self._record(results)
        return sum(1 for _, result in results if result is not None)

    def _record(self, results: list[tuple[Claim, str | MailError | None]]) -> None:
        with self.uow() as tx:
            now = self.clock()
            rows = tx.email_messages.by_ids([claim.message_id for claim, _ in results])
            sent = []
            for claim, result in results:
                message = rows[claim.message_id]
                if result is None:  # never handed over: queued again as it was
                    message.status, message.next_attempt_at = MessageStatus.QUEUED.value, now
                    message.attempts, message.provider = claim.attempts - 1, claim.previous_provider
                elif isinstance(result, MailError):
                    self._record_failure(tx, message, claim, result, now)
                else:
                    message.status, message.provider_message_id = MessageStatus.SENT.value, result[:200]
                    message.sent_at, message.next_attempt_at, message.last_error = now, None, None
                    sent.append(message)
            self.outcomes.sent_many(tx, sent, now)
            tx.commit()

    def _record_failure(self, tx, message, claim: Claim, error: MailError, now: datetime) -> None:
        log.warning("mail %s via %s failed (attempt %d): %s", claim.mail.key, claim.guarded.name,
                    claim.attempts, error.reason)
        if isinstance(error, OutcomeUnknown):
            self._settle(message, MessageStatus.UNCONFIRMED, error.reason)
        elif error.permanent or claim.attempts >= self.max_attempts:
            self._settle(message, MessageStatus.DEAD, error.reason)
            self.outcomes.dead(tx, message, now)
        else:
            delay = error.retry_after if error.retry_after is not None else retry_delay(claim.attempts, self.rng)
            message.status, message.last_error = MessageStatus.FAILED.value, error.reason[:2000]
            message.next_attempt_at = now + timedelta(seconds=delay)

    @staticmethod
    def _settle(message, status: MessageStatus, reason: str) -> None:
        message.status, message.last_error, message.next_attempt_at = status.value, reason[:2000], None

    # -- after a crash ---------------------------------------------------------------------------
    def _reconcile(self) -> int:
        with self.uow() as tx:
            stale = tx.email_messages.stale_sending(self.clock(), self.batch)
            for message in stale:
                self._reconcile_one(tx, message)
            tx.commit()
        return len(stale)

    def _reconcile_one(self, tx, message) -> None:
        guarded = self.chain.by_name(message.provider)
        mail = self._compose(message)
        has_mail = guarded.provider.has_mail(mail) if guarded else None
        if has_mail is True:
            message.status, message.sent_at, message.next_attempt_at = MessageStatus.SENT.value, self.clock(), None
            message.provider_message_id = message.provider_message_id or mail.message_id
            self.outcomes.sent(tx, message, self.clock())
        elif has_mail is False:  # verifiably never handed over: sending it now is its first delivery
            message.status, message.next_attempt_at = MessageStatus.QUEUED.value, self.clock()
        else:
            self._settle(message, MessageStatus.UNCONFIRMED, f"{message.provider} call not confirmed; not resent")
        log.warning("mail %s found sending after its lease: now %s", message.idempotency_key, message.status)


def build_dispatcher(uow, settings, *, clock: Callable[[], datetime] = _utc_now, metrics=None,
                     outcomes: MailOutcomes | None = None) -> MailDispatcher:
    """The dispatcher the settings describe: providers in MAIL_PROVIDERS order, limits, attempts."""
    chain = ProviderChain.build(build_providers(settings), per_minute=settings.mail_rate_per_minute,
                                per_hour=settings.mail_rate_per_hour, metrics=metrics)
    return MailDispatcher(uow, chain, sender=settings.mail_from, secret=settings.secret_key,
                          base_url=settings.public_base_url, clock=clock, max_attempts=settings.mail_max_attempts,
                          outcomes=outcomes, tracking=settings.tracking_enabled)
