"""What recipients and providers tell us about mail: unsubscribes, bounces, complaints.

Each use case is one transaction: the suppression, the leads' consent, an activity per lead and the
event are written together. Every step is idempotent on its own (a suppression exists once, a
consent is withdrawn once, the event id is derived from the address), so a repeat changes nothing.
Provider events are deduplicated by their own id through the inbox as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data.errors import ConstraintViolation
from data.models import Activity
from domain.events import EMAIL_BOUNCED, EMAIL_UNSUBSCRIBED
from domain.model import ActivityType, Outcome
from mailer.unsubscribe import normalise
from services.clock import Clock, utc_now
from services.outbox import lead_subject, publish

PRODUCER = "mailer"
PRODUCES = {PRODUCER: (EMAIL_UNSUBSCRIBED, EMAIL_BOUNCED)}  # read by pipelines.catalog
BOUNCE, COMPLAINT, UNSUBSCRIBE, OTHER = "bounce", "complaint", "unsubscribe", "other"


@dataclass(frozen=True)
class ProviderEvent:
    """One provider notification, reduced to what we act on."""

    event_id: str  # sg_event_id or the SNS MessageId (+ recipient): the deduplication key
    kind: str  # bounce | complaint | unsubscribe | other (deliveries, opens: recorded, nothing else)
    email: str
    detail: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class FeedbackResult:
    applied: int
    duplicates: int


def _withdraw_consent(tx, email: str, via: str, now: datetime) -> list[int]:
    """Consent off for every lead with this address; an UNSUBSCRIBE activity for each one changed."""
    leads = tx.suppressions.leads_for_update(email)
    changed = [lead for lead in leads if lead.email_consent]
    for lead in changed:
        lead.email_consent = False
        lead.updated_at = now
        tx.suppressions.add_opt_out_note(Activity(lead_id=lead.id, type=ActivityType.NOTE.value,
                                                  outcome=Outcome.UNSUBSCRIBE.value, occurred_at=now,
                                                  details={"via": via, "email": email}))
    return [lead.id for lead in leads] if changed else []


def _opt_out(tx, email: str, reason: str, via: str, now: datetime) -> bool:
    suppressed = tx.suppressions.add(email, reason, via, now)
    lead_ids = _withdraw_consent(tx, email, via, now)
    if not (suppressed or lead_ids):
        return False
    data = {"email": email, "unsubscribed_at": now.isoformat(), "via": via, **({"lead_id": lead_ids[0]} if lead_ids else {})}
    publish(tx, EMAIL_UNSUBSCRIBED, producer=PRODUCER, subject=lead_subject(lead_ids[0]) if lead_ids else None,
            data=data, facts=("email.unsubscribed", email), time=now)
    return True


def unsubscribe(uow, email: str, via: str, clock: Clock = utc_now) -> bool:
    """The recipient asked to get no more mail; False when that had happened already."""
    email = normalise(email)
    now = clock()
    with uow() as tx:
        changed = _opt_out(tx, email, UNSUBSCRIBE, via, now)
        tx.commit()
    return changed


def _bounced(tx, event: ProviderEvent, source: str, now: datetime) -> None:
    if tx.suppressions.add(event.email, BOUNCE, source, now):
        data = {"email": event.email, "bounced_at": now.isoformat(), "message_id": event.message_id,
                "kind": (event.detail or "permanent")[:500]}
        publish(tx, EMAIL_BOUNCED, producer=PRODUCER, subject=None, data=data,
                facts=("email.bounced", event.email), time=now)


def _apply(tx, event: ProviderEvent, source: str, now: datetime) -> None:
    if event.kind == BOUNCE:
        _bounced(tx, event, source, now)
    elif event.kind == COMPLAINT:
        _opt_out(tx, event.email, COMPLAINT, f"{source} complaint", now)
    elif event.kind == UNSUBSCRIBE:
        _opt_out(tx, event.email, UNSUBSCRIBE, source, now)


def apply_provider_events(uow, consumer: str, source: str, events: list[ProviderEvent],
                          clock: Clock = utc_now) -> FeedbackResult:
    """Apply a provider's batch in one transaction; events seen before (by id) change nothing."""
    for attempt in (1, 2):
        try:
            return _apply_batch(uow, consumer, source, events, clock())
        except ConstraintViolation:
            if attempt == 2:  # a concurrent delivery of the same batch won twice: it is all applied
                raise
    raise AssertionError("unreachable")


def _apply_batch(uow, consumer: str, source: str, events: list[ProviderEvent], now: datetime) -> FeedbackResult:
    applied, seen = 0, set()
    with uow() as tx:
        for event in events:
            if event.event_id in seen or tx.inbox.seen(consumer, source, event.event_id):
                continue
            seen.add(event.event_id)
            _apply(tx, ProviderEvent(event.event_id, event.kind, normalise(event.email), event.detail, event.message_id),
                   source, now)
            tx.inbox.record(consumer, source, event.event_id, now)
            applied += 1
        tx.commit()
    return FeedbackResult(applied=applied, duplicates=len(events) - applied)
