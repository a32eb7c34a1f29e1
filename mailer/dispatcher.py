"""The dispatcher: sends queued mail, one message at a time, so no key is ever sent twice.

For each due message, in its own committed transaction: check suppression and consent again, pick a
provider (breaker closed, rate limit free) and record `sending` with that provider. Only then call
the provider, and record `sent`, `failed` (with the next attempt time) or `dead`.

A message still `sending` after its lease (a crash between the call and the record) is reconciled,
never sent blindly again: the file provider looks for its .eml (found: sent; missing: the call never
happened, so the message is queued again); every other provider cannot tell, so the message becomes
`unconfirmed` and stays so until a person or a provider event settles it.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from data.commit_flags import MAIL_QUEUED
from domain.model import MessageStatus
from mailer.message import MailError, MailOutcomes, OutgoingMail, compose
from mailer.providers import OutcomeUnknown, build_providers
from mailer.routing import GuardedProvider, ProviderChain
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
        """Reconcile expired `sending` messages, then send up to `limit` due ones; returns how many
        messages changed state. Stops early when nothing is due or no provider may send now."""
        with self.uow(write=False) as tx:  # an idle pass takes no write lock (SQLite has one for all)
            store = tx.email_messages
            if not store.has_work(self.clock()):
                self.metrics.queue_depth(store.depth())
                self.chain.refresh_metrics()
                return 0
        handled = self._reconcile()
        limit = self.batch if limit is None else limit
        while handled < limit and not self.stopping:
            claim = self._claim_next()
            if claim is None:
                break
            if claim is not True:
                self._send(claim)
            handled += 1
        with self.uow(write=False) as tx:
            self.metrics.queue_depth(tx.email_messages.depth())
        self.chain.refresh_metrics()
        return handled

    def _claim_next(self) -> Claim | bool | None:
        """A claimed message, True when one was refused (suppressed), None when nothing can go now."""
        with self.uow() as tx:
            store = tx.email_messages
            now = self.clock()
            message = store.next_due(now)
            if message is None:
                return None
            refusal = store.refusal(message.to_email, message.lead_id)
            if refusal:
                self._settle(message, MessageStatus.SUPPRESSED, refusal)
                tx.commit()
                return True
            mail = self._compose(message)
            guarded = self.chain.choose()
            if guarded is None:
                return None  # every provider is open or at its rate limit: the message waits
            claim = Claim(message.id, message.attempts + 1, guarded, mail)
            message.status, message.provider = MessageStatus.SENDING.value, guarded.name
            message.attempts, message.next_attempt_at = claim.attempts, now + SENDING_LEASE
            try:
                tx.commit()
            except Exception:
                self.chain.release(guarded)
                raise
            return claim

    def _compose(self, message) -> OutgoingMail:
        # Tracking is added as the mail leaves: the stored body keeps the links as written, which is
        # where a click's redirect target is read from (mailer/tracking.py).
        body = with_tracking(message.body_html, message.id, self.secret, self.base_url) if self.tracking else message.body_html
        return compose(message.idempotency_key, message.to_email, message.subject, body,
                       message.body_text, sender=self.sender, secret=self.secret, base_url=self.base_url,
                       date=self.clock())

    def _send(self, claim: Claim) -> None:
        try:
            provider_id = self.chain.send(claim.guarded, claim.mail)
        except MailError as error:
            self._record_failure(claim, error)
            return
        with self.uow() as tx:
            message = tx.email_messages.get(claim.message_id)
            message.status, message.provider_message_id = MessageStatus.SENT.value, provider_id[:200]
            message.sent_at, message.next_attempt_at, message.last_error = self.clock(), None, None
            self.outcomes.sent(tx, message, self.clock())
            tx.commit()

    def _record_failure(self, claim: Claim, error: MailError) -> None:
        log.warning("mail %s via %s failed (attempt %d): %s", claim.mail.key, claim.guarded.name,
                    claim.attempts, error.reason)
        with self.uow() as tx:
            message = tx.email_messages.get(claim.message_id)
            if isinstance(error, OutcomeUnknown):
                self._settle(message, MessageStatus.UNCONFIRMED, error.reason)
            elif error.permanent or claim.attempts >= self.max_attempts:
                self._settle(message, MessageStatus.DEAD, error.reason)
                self.outcomes.dead(tx, message, self.clock())
            else:
                delay = error.retry_after if error.retry_after is not None else retry_delay(claim.attempts, self.rng)
                message.status, message.last_error = MessageStatus.FAILED.value, error.reason[:2000]
                message.next_attempt_at = self.clock() + timedelta(seconds=delay)
            tx.commit()

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
