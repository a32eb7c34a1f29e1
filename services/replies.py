"""Replies: a sales user logs one, the conversion consumer handles each one, a person labels the
unsure ones. Every reply is classified (or labelled by a person); an unsubscribe suppresses the
address, an auto-reply keeps the sequence running, a positive answer runs the conversion rules.

Errors: `Forbidden` (role), `LookupError` (no such lead or review in the caller's scope), `ValueError`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from data.conversion_models import ReplyReview
from data.models import Activity, Lead
from domain.cloudevents import parse_time
from domain.events import EMAIL_UNSUBSCRIBED, FOLLOWUP_REPLIED, LABELS
from domain.model import ActivityType, LeadStatus, Outcome
from domain.reply_classifier import classify_reply
from domain.roles import Actor, Forbidden, Page, may_edit_leads, require
from services.clock import Clock, utc_now
from services.conversion_rules import ReplyFacts
from services.conversions import ConversionSetup, decide_and_apply
from services.followups import plan_next_followup
from services.outbox import SOURCE_PREFIX, publish
from services.scopes import caller_scope

PRODUCES = {"replies": (FOLLOWUP_REPLIED, EMAIL_UNSUBSCRIBED)}  # read by pipelines.catalog
MAX_TEXT = 20_000
MAX_LABELLED_AT_ONCE = 100  # a bulk label names at most this many replies (the queue shows 50)


def _reading(data: dict) -> tuple[str, float, list[str]]:
    """The label a sender gave (trusted unless it says it is unsure), else the classifier's."""
    if data.get("label"):
        confidence = data.get("confidence")
        return data["label"], 1.0 if confidence is None else float(confidence), []
    result = classify_reply(data.get("text") or "")
    return result.label, result.confidence, list(result.cues)


def handle_reply(tx, setup: ConversionSetup, source: str, event_id: str, data: dict, now: datetime) -> str | None:
    """Apply one followup.replied event; returns what became of it (review, the label, or None)."""
    lead = tx.leads.find(data.get("lead_id"), data.get("email"), data.get("external_id"))
    if lead is None:
        return None
    replied_at = parse_time(data["replied_at"])
    label, confidence, cues = _reading(data)
    reply = ReplyFacts(label=label, confidence=confidence, step=data.get("step"), text=(data.get("text") or "")[:MAX_TEXT],
                       source=source, event_id=event_id, replied_at=replied_at)
    if confidence < setup.review_below:
        tx.conversions.add_review(ReplyReview(lead_id=lead.id, reply_source=source, reply_event_id=event_id,
                                              text=reply.text, suggested_label=label, confidence=confidence, cues=cues,
                                              replied_at=replied_at))
        return "review"
    activity = tx.conversions.reply_activity(lead.id, replied_at)
    if activity is not None and activity.outcome is None:
        activity.outcome = label
    act_on_label(tx, setup, tx.followups.lock_lead(lead.id), reply, now)
    return label


def act_on_label(tx, setup: ConversionSetup, lead: Lead, reply: ReplyFacts, now: datetime, by: Actor | None = None) -> None:
    if reply.label == Outcome.UNSUBSCRIBE.value:
        _unsubscribe(tx, lead, reply, now)
    elif reply.label == Outcome.OUT_OF_OFFICE.value:
        _keep_sequence(tx, setup, lead, reply, now)
    elif reply.label == Outcome.POSITIVE.value:
        decide_and_apply(tx, lead, reply, setup, now, by)


def _unsubscribe(tx, lead: Lead, reply: ReplyFacts, now: datetime) -> None:
    lead.email_consent, lead.clock_stopped_at, lead.next_followup_at, lead.updated_at = False, lead.clock_stopped_at or now, None, now
    if lead.email and tx.conversions.suppress(lead.email, "unsubscribe", f"reply {reply.event_id}"[:80], now):
        publish(tx, EMAIL_UNSUBSCRIBED, producer="replies", subject=f"lead/{lead.id}",
                data={"email": lead.email, "unsubscribed_at": now.isoformat(), "lead_id": lead.id, "via": "reply"},
                facts=(lead.email.lower(), "reply", reply.source, reply.event_id), time=now)


def _keep_sequence(tx, setup: ConversionSetup, lead: Lead, reply: ReplyFacts, now: datetime) -> None:
    """An auto-reply is no answer: when it stopped the clock, the sequence resumes."""
    if reply.replied_at is not None and lead.clock_stopped_at == reply.replied_at and setup.followups is not None \
            and lead.status not in (LeadStatus.CONVERTED.value, LeadStatus.LOST.value):
        lead.clock_stopped_at = None
        plan_next_followup(lead, setup.followups.policy, setup.followups.calendar, now, tx)


def _lead_for_editor(tx, actor: Actor, lead_id: int) -> Lead:
    require(actor, Page.LEADS)
    if not may_edit_leads(actor):
        raise Forbidden.for_role(actor, "log or label replies")
    lead = tx.leads.get(lead_id, caller_scope(tx, actor))
    if lead is None:
        raise LookupError(f"lead {lead_id} not found")
    return lead


def log_reply(uow, actor: Actor, lead_id: int, text: str, label: str | None = None, *, review_below: float = 0.6,
              clock: Clock = utc_now) -> dict:
    """Record a reply the lead sent to its owner (by phone, by mail): the REPLY activity, the stopped
    clock, and a followup.replied event that the conversion consumer then handles."""
    text = (text or "").strip()
    if not text and not label:
        raise ValueError("write what the lead answered, or choose a label")
    if label is not None and label not in LABELS:
        raise ValueError(f"the label must be one of {', '.join(LABELS)}")
    with uow() as tx:
        lead, now = _lead_for_editor(tx, actor, lead_id), clock()
        data = {"lead_id": lead.id, "replied_at": now.isoformat(), "text": text[:MAX_TEXT], "label": label,
                "confidence": 1.0 if label else None}
        reading, confidence, cues = _reading(data)
        sure = confidence >= review_below
        tx.leads.add_activity(Activity(lead_id=lead.id, type=ActivityType.REPLY.value, user_id=actor.user_id,
                                       outcome=reading if sure else None, occurred_at=now,
                                       details={"text": text[:500], "confidence": confidence, "cues": cues[:10],
                                                "source": SOURCE_PREFIX + "replies"}))
        if not (sure and reading == Outcome.OUT_OF_OFFICE.value):  # a real answer ends the sequence
            lead.clock_stopped_at, lead.next_followup_at = now, None
        lead.updated_at = now
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        publish(tx, FOLLOWUP_REPLIED, producer="replies", subject=f"lead/{lead.id}", data=data,
                facts=(lead.id, now.isoformat(), actor.user_id, digest), time=now)
        tx.commit()
        return {"label": reading, "confidence": confidence, "review": not sure}


def label_reply(uow, actor: Actor, review_id: int, label: str, setup: ConversionSetup, clock: Clock = utc_now) -> str:
    """A person labels a reply from the review queue; then it is handled as if classified so."""
    if label not in LABELS:
        raise ValueError(f"the label must be one of {', '.join(LABELS)}")
    require(actor, Page.CONVERSIONS)
    with uow() as tx:
        review = tx.conversions.review(review_id)
        if review is None:
            raise LookupError(f"review {review_id} not found")
        lead, now = _lead_for_editor(tx, actor, review.lead_id), clock()
        if tx.conversions.claim_review(review_id, label, actor.user_id, now) is None:
            raise LookupError(f"review {review_id} was labelled already")
        activity = tx.conversions.reply_activity(lead.id, review.replied_at)
        if activity is not None:
            activity.outcome = label
        reply = ReplyFacts(label=label, confidence=1.0, by_person=True, text=review.text, source=review.reply_source,
                           event_id=review.reply_event_id, replied_at=review.replied_at)
        act_on_label(tx, setup, tx.followups.lock_lead(lead.id), reply, now, actor)
        tx.commit()
        return label


@dataclass(frozen=True)
class Labelled:
    """What a bulk label did: the replies it labelled, and each one it skipped with the reason."""
    label: str
    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def label_replies(uow, actor: Actor, review_ids: list[int], label: str, setup: ConversionSetup,
                  clock: Clock = utc_now) -> Labelled:
    """Label several replies of the review queue alike. Each is its own decision (conversion rules,
    a welcome mail), so each commits on its own: one labelled meanwhile by someone else, or gone from
    the caller's scope, is skipped with its reason and the others go on, as in HubSpot's bulk edits.
    The role is checked once, before any is touched."""
    if label not in LABELS:
        raise ValueError(f"the label must be one of {', '.join(LABELS)}")
    require(actor, Page.CONVERSIONS)
    if not may_edit_leads(actor):
        raise Forbidden.for_role(actor, "log or label replies")
    wanted = list(dict.fromkeys(review_ids))
    if len(wanted) > MAX_LABELLED_AT_ONCE:
        raise ValueError(f"label at most {MAX_LABELLED_AT_ONCE} replies at once")
    outcome = Labelled(label)
    for review_id in wanted:
        try:
            label_reply(uow, actor, review_id, label, setup, clock)
        except LookupError as exc:
            outcome.skipped[review_id] = str(exc)
        else:
            outcome.done.append(review_id)
    return outcome
