"""Applies events from other systems to the leads: registrations, sample deliveries, replies.

Events the cockpit produced itself are skipped: their change was made in the producing transaction.
"""
from __future__ import annotations

import logging

from data.models import Activity, Lead
from data.repositories import new_lead
from domain.cloudevents import CloudEvent, parse_time
from domain.events import FOLLOWUP_REPLIED, LEAD_CREATED, LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED
from domain.followups import FollowupPolicy
from domain.model import ActivityType, LeadStatus, Outcome
from services.followups import FollowupAutomation, plan_next_followup, register_leads
from services.holiday_calendar import PublicHolidays
from services.outbox import SOURCE_PREFIX, publish_many

log = logging.getLogger(__name__)
PRODUCES = {"lead-state": (LEAD_CREATED,)}  # read by pipelines.catalog


class LeadStateConsumer:
    name = "lead-state"
    consumes = (LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED, FOLLOWUP_REPLIED)  # listed in the event catalog

    def __init__(self, followups: FollowupAutomation | None = None):
        # The follow-up clock starts here (registration, sample delivery): plan the first step.
        self._policy = followups.policy if followups else FollowupPolicy()
        self._calendar = followups.calendar if followups else PublicHolidays()

    def wants(self, event: CloudEvent) -> bool:
        return event.type in self.consumes and not event.source.startswith(SOURCE_PREFIX)

    def apply(self, tx, event: CloudEvent) -> None:
        self.apply_batch(tx, [event])

    def apply_batch(self, tx, events: list[CloudEvent]) -> None:
        """Runs of registrations are inserted set-based; other events one by one, in log order."""
        run: list[CloudEvent] = []
        for event in events:
            if event.type == LEAD_REGISTERED:
                run.append(event)
                continue
            self._registered(tx, run)
            run = []
            {LEAD_SAMPLE_DELIVERED: self._sample, FOLLOWUP_REPLIED: self._replied}[event.type](tx, event.data, event)
        self._registered(tx, run)

    def _registered(self, tx, events: list[CloudEvent]) -> None:
        if not events:
            return
        owners = tx.users.by_usernames({e.data["owner"] for e in events if e.data.get("owner")})
        leads = [self._new_lead(e.data, owners) for e in events]
        register_leads(tx, leads, self._policy, self._calendar)
        # The registration was logged before its lead existed: name it, so analytics can attribute it.
        publish_many(tx, LEAD_CREATED, producer="lead-state", items=[
            (f"lead/{lead.id}", {"lead_id": lead.id, "registered_source": e.source, "registered_id": e.id},
             (e.source, e.id), lead.registered_at) for e, lead in zip(events, leads)])

    @staticmethod
    def _new_lead(d: dict, owners: dict):
        owner = owners.get((d.get("owner") or "").lower())
        when = parse_time(d["registered_at"])
        return new_lead(company=d["company"], business_type=d["business_type"], email=d.get("email"),
                        contact_name=d.get("contact_name"), city=d.get("city"), owner_id=owner.id if owner else None,
                        team_id=owner.team_id if owner else None, email_consent=bool(d.get("email_consent")),
                        phone=d.get("phone"), vat_id=d.get("vat_id"), score=d.get("score") or 0,
                        estimated_volume=d.get("estimated_volume"), external_id=d.get("external_id"),
                        status=LeadStatus.REGISTERED.value, registered_at=when, updated_at=when)

    def _lead(self, tx, d: dict, event: CloudEvent) -> Lead | None:
        lead = tx.leads.find(d.get("lead_id"), d.get("email"), d.get("external_id"))
        if lead is None:  # nothing to change; recorded in the inbox so it is not retried forever
            log.warning("%s %s/%s names no known lead", event.type, event.source, event.id)
        return lead

    def _sample(self, tx, d: dict, event: CloudEvent) -> None:
        lead = self._lead(tx, d, event)
        if lead is not None:
            lead.sample_delivered_at = parse_time(d["delivered_at"])
            if lead.status == LeadStatus.REGISTERED.value:
                lead.status = LeadStatus.ACTIVE.value
            lead.updated_at = lead.sample_delivered_at
            # The delivery is progress (readiness counts it); at the clock start it never skips T+3.
            tx.leads.add_activity(Activity(lead_id=lead.id, type=ActivityType.SAMPLE_SENT.value,
                                           occurred_at=lead.sample_delivered_at, details={"source": event.source}))
            # A new clock: the sequence starts over from the delivery (new step keys).
            plan_next_followup(lead, self._policy, self._calendar, lead.sample_delivered_at, tx, restart=True)

    def _replied(self, tx, d: dict, event: CloudEvent) -> None:
        lead = self._lead(tx, d, event)
        if lead is None:
            return
        when = parse_time(d["replied_at"])
        tx.leads.add_activity(Activity(lead_id=lead.id, type=ActivityType.REPLY.value, outcome=d.get("label"),
                                       occurred_at=when, details={"step": d.get("step"), "text": (d.get("text") or "")[:500],
                                                                  "source": event.source}))
        if d.get("label") != Outcome.OUT_OF_OFFICE.value:  # a real answer ends the automated sequence
            lead.clock_stopped_at, lead.next_followup_at = when, None
        lead.updated_at = when
