"""The email core's contract: the only way anything in the cockpit sends mail (DESIGN section 5).

Callers render a template (`mailer.templates.render_template`), then queue the result with
`queue_mail` inside their own transaction. A dispatcher sends queued mail later; the idempotency key
is unique in `email_messages`, so the same key never produces a second provider call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


@dataclass(frozen=True)
class RenderedMail:
    """A template rendered for one recipient, with what it came from (recorded on the message)."""

    subject: str
    html: str
    text: str
    template_id: int | None = None
    template_version: int | None = None
    variant: str | None = None


@dataclass(frozen=True)
class MailRequest:
    to_email: str
    content: RenderedMail
    lead_id: int | None = None
    # Free-form facts the sender wants back on delivery events, e.g. {"followup_step": "T3"}.
    context: dict = field(default_factory=dict)


class QueueOutcome(str, Enum):
    QUEUED = "queued"          # a new message row, status queued
    DUPLICATE = "duplicate"    # this idempotency key was queued before; nothing new
    SUPPRESSED = "suppressed"  # the address is on the suppression list or the lead gave no consent


class MessageStatus(str, Enum):
    QUEUED = "queued"
    SENDING = "sending"  # recorded before the provider call; an unconfirmed one is reconciled, not resent
    SENT = "sent"
    FAILED = "failed"    # a retry is planned (next_attempt_at)
    DEAD = "dead"        # permanent error or too many attempts
    SUPPRESSED = "suppressed"    # suppressed or consent withdrawn between queueing and sending
    UNCONFIRMED = "unconfirmed"  # the provider may have it (no answer, or a crash): never resent


class MailError(Exception):
    """A provider refused or failed; `permanent` says whether trying again could help."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.permanent, self.retry_after = reason, permanent, retry_after


def queue_mail(tx, request: MailRequest, idempotency_key: str, now: datetime) -> QueueOutcome:
    """Queue one mail in the caller's transaction `tx` (a unit of work).

    Implemented by the email core (mailer/queue.py); this signature is the contract."""
    from mailer.queue import queue_mail as _queue

    return _queue(tx, request, idempotency_key, now)


class MailOutcomes:
    """Told, inside the transaction that records it, that a message was sent or died, so the rest of
    the cockpit (events, follow-up records) changes atomically with the message state. The email core
    cannot publish events itself (it sits below the services); app.py passes the services' listener."""

    def sent(self, tx, message, now: datetime) -> None:
        """`message` is the EmailMessage row, now `sent`."""

    def dead(self, tx, message, now: datetime) -> None:
        """`message` is the EmailMessage row, now `dead` with its reason in `last_error`."""
