"""Lead -> customer conversion: carrying out the decision of the rules (readiness, then the rules in
priority order, first decision wins: services.conversion_rules.verdict_for), the conversion in one
transaction, manual convert and undo.

Errors: `Forbidden` (role), `LookupError` (no such lead in the caller's scope), `InvalidConversion`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from data.conversion_models import ConversionDecision
from data.models import Activity, Customer, Lead
from domain.events import CUSTOMER_CONVERSION_REJECTED, CUSTOMER_CONVERTED, LEAD_STATUS_CHANGED
from domain.model import ActivityType, LeadStatus
from domain.roles import Actor, Forbidden, Page, Role, require
from mailer.api import MailRequest, queue_mail, render_template
from mailer.templates import TemplateError
from services.clock import Clock, utc_now
from services.conversion_rules import ReplyFacts, Verdict, readiness_of, verdict_for
from services.followup_automation import FollowupAutomation
from services.outbox import publish
from services.scopes import caller_scope

log = logging.getLogger(__name__)
CONVERTERS = (Role.ADMIN, Role.MANAGER)
GERMAN_SPEAKING = ("DE", "AT", "CH", "LI", "LU")
STAFF_LOCALE = "de"  # the sales team's language for the owner's notice (else any locale there is)
PRODUCES = {"conversions": (CUSTOMER_CONVERTED, LEAD_STATUS_CHANGED, CUSTOMER_CONVERSION_REJECTED)}  # read by pipelines.catalog


class InvalidConversion(ValueError):
    """The lead cannot be converted or reverted now; the message says why."""


@dataclass(frozen=True)
class ConversionSetup:
    unsubscribe_url: Callable[[str], str]
    review_below: float = 0.6
    base_url: str = ""  # links in the owner's notice
    followups: FollowupAutomation | None = None  # re-plans a lead whose reply was only an auto-reply


def setup_for(followups: FollowupAutomation, settings) -> ConversionSetup:
    """Built once by app.py, from the app's one follow-up automation."""
    return ConversionSetup(followups.unsubscribe_url, settings.reply_review_below, settings.public_base_url, followups)


def _locale(lead: Lead) -> str:
    return "de" if (lead.country or "DE").upper() in GERMAN_SPEAKING else "en"


def _lead_variables(lead: Lead, unsubscribe_url: str) -> dict:
    return {"contact_name": lead.contact_name or "", "company": lead.company, "city": lead.city or "",
            "business_type": lead.business_type, "unsubscribe_url": unsubscribe_url}


def _queue_mails(tx, lead: Lead, customer: Customer, setup: ConversionSetup, now: datetime) -> None:
    """The WELCOME mail to the new customer and the OWNER_NOTICE to the lead's owner, through the email core."""
    if lead.email:
        variables = _lead_variables(lead, setup.unsubscribe_url(lead.email))
        try:
            content = render_template(tx, "WELCOME", _locale(lead), variables, pick=f"{lead.id}:welcome")
            queue_mail(tx, MailRequest(lead.email, content, lead_id=lead.id, context={"conversion": customer.id}),
                       f"welcome:lead:{lead.id}", now)  # one welcome per lead, even after an undo
        except (TemplateError, ValueError) as exc:
            log.warning("no welcome mail for lead %s: %s", lead.id, exc)
    owner = tx.users.get(lead.owner_id) if lead.owner_id else None
    if owner is not None and owner.email:
        variables = {**_lead_variables(lead, setup.unsubscribe_url(owner.email)), "customer_id": customer.id,
                     "owner_name": owner.display_name or owner.username,
                     "lead_url": f"{setup.base_url}/leads/{lead.id}"}
        try:
            note = render_template(tx, "OWNER_NOTICE", STAFF_LOCALE, variables, pick=f"{lead.id}:owner")
            queue_mail(tx, MailRequest(owner.email, note, context={"conversion": customer.id, "notice": "owner"}),
                       f"conversion:{customer.id}:owner", now)
        except (TemplateError, ValueError) as exc:
            log.warning("no owner notice for lead %s: %s", lead.id, exc)


def _convert(tx, lead: Lead, setup: ConversionSetup, now: datetime, by: Actor | None, rule: str) -> Customer | None:
    customer = Customer(original_lead_id=lead.id, company=lead.company, email=lead.email, vat_id=lead.vat_id,
                        owner_id=lead.owner_id, team_id=lead.team_id, status="ACTIVE", onboarding="PENDING",
                        created_at=now)
    if not tx.conversions.add_customer(customer):
        return None  # converted already (a redelivery or another worker): nothing more to do
    before = lead.status
    lead.status, lead.clock_stopped_at, lead.next_followup_at, lead.updated_at = LeadStatus.CONVERTED.value, now, None, now
    tx.leads.add_activity(Activity(lead_id=lead.id, customer_id=customer.id, type=ActivityType.CONVERSION.value,
                                   user_id=by.user_id if by else None, occurred_at=now, details={"rule": rule}))
    tx.flush()
    tx.conversions.link_activities(lead.id, customer.id)
    publish(tx, CUSTOMER_CONVERTED, producer="conversions", subject=f"lead/{lead.id}",
            data={"lead_id": lead.id, "customer_id": customer.id, "converted_at": now.isoformat(), "rule": rule,
                  "by": by.username if by else "automation"}, facts=(lead.id, customer.id), time=now)
    _status_changed(tx, lead, before, "converted", now)
    _queue_mails(tx, lead, customer, setup, now)
    return customer


def _status_changed(tx, lead: Lead, before: str, reason: str, now: datetime) -> None:
    publish(tx, LEAD_STATUS_CHANGED, producer="conversions", subject=f"lead/{lead.id}",
            data={"lead_id": lead.id, "from": before, "to": lead.status, "reason": reason},
            facts=(lead.id, before, lead.status, now.isoformat()), time=now)


def _record(tx, lead: Lead, verdict: Verdict, now: datetime, reply: ReplyFacts | None, by: Actor | None,
            customer_id: int | None = None) -> ConversionDecision:
    row = ConversionDecision(lead_id=lead.id, reply_source=reply.source if reply else None,
                             reply_event_id=reply.event_id if reply else None, decision=verdict.decision,
                             rule_id=verdict.rule_id, rule_version=verdict.rule_version, fact=verdict.fact,
                             reasons=list(verdict.reasons), customer_id=customer_id, decided_at=now,
                             decided_by=by.user_id if by else None)
    tx.conversions.add_decision(row)
    return row


def decide_and_apply(tx, lead: Lead, reply: ReplyFacts, setup: ConversionSetup, now: datetime,
                     by: Actor | None = None) -> Verdict | None:
    """Run readiness and the rules for a positive reply and carry out the decision; None when the
    lead is a customer already."""
    if lead.status == LeadStatus.CONVERTED.value or tx.conversions.customer_of_lead(lead.id) is not None:
        return None
    verdict = verdict_for(tx, lead, reply, now)
    customer = None
    if verdict.decision == "CONVERT":
        rule = f"#{verdict.rule_id} v{verdict.rule_version}"
        customer = _convert(tx, lead, setup, now, by, rule)
        if customer is None:
            return None
    _record(tx, lead, verdict, now, reply, by, customer.id if customer else None)
    if verdict.decision == "REJECT":
        publish(tx, CUSTOMER_CONVERSION_REJECTED, producer="conversions", subject=f"lead/{lead.id}",
                data={"lead_id": lead.id, "reasons": verdict.reasons,
                      "rule": f"#{verdict.rule_id} v{verdict.rule_version}" if verdict.rule_id else verdict.fact},
                facts=(lead.id, reply.source, reply.event_id, now.isoformat()), time=now)
    return verdict


def _converter_lead(tx, actor: Actor, lead_id: int) -> Lead:
    require(actor, Page.CONVERSIONS)
    if actor.role not in CONVERTERS:
        raise Forbidden.for_role(actor, "convert a lead or undo a conversion by hand")
    lead = tx.leads.get(lead_id, caller_scope(tx, actor))
    if lead is None:
        raise LookupError(f"lead {lead_id} not found")
    return tx.followups.lock_lead(lead.id)


def convert_by_hand(uow, actor: Actor, lead_id: int, setup: ConversionSetup, clock: Clock = utc_now) -> int:
    """A manager converts a lead whatever the rules say (a duplicate still blocks); returns the customer id."""
    with uow() as tx:
        lead, now = _converter_lead(tx, actor, lead_id), clock()
        if lead.status == LeadStatus.CONVERTED.value:
            raise InvalidConversion(f"lead {lead_id} is a customer already")
        readiness = readiness_of(tx, lead, now)
        if readiness.duplicate:
            raise InvalidConversion(readiness.duplicate)
        customer = _convert(tx, lead, setup, now, actor, f"by hand ({actor.username})")
        if customer is None:
            raise InvalidConversion(f"lead {lead_id} is a customer already")
        reasons = [f"converted by hand by {actor.username}"] + [f"despite: {r}" for r in readiness.failing]
        _record(tx, lead, Verdict("CONVERT", reasons, fact="by hand"), now, None, actor, customer.id)
        tx.commit()
        return customer.id


def undo_conversion(uow, actor: Actor, lead_id: int, clock: Clock = utc_now) -> None:
    """Turn a customer back into a qualified lead; the history stays, recorded as undone by hand."""
    with uow() as tx:
        lead, now = _converter_lead(tx, actor, lead_id), clock()
        customer = tx.conversions.customer_of_lead(lead.id)
        if customer is None:
            raise InvalidConversion(f"lead {lead_id} is not a customer")
        tx.conversions.link_activities(lead.id, None)
        tx.conversions.remove_customer(customer)
        before, lead.status, lead.updated_at = lead.status, LeadStatus.QUALIFIED.value, now
        tx.leads.add_activity(Activity(lead_id=lead.id, type=ActivityType.NOTE.value, user_id=actor.user_id,
                                       occurred_at=now, details={"text": f"conversion to customer #{customer.id} undone"}))
        _record(tx, lead, Verdict("UNDO", [f"customer #{customer.id} undone by hand by {actor.username}"],
                                  fact="by hand"), now, None, actor, customer.id)
        _status_changed(tx, lead, before, "conversion undone", now)
        tx.commit()
