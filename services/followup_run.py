"""The follow-up run: finds due leads, and for each one sends, skips or re-plans its next step.

Exactly once: the step's key is inserted into `followup_steps` in the same transaction that queues
the mail, writes the activity, updates the lead and records the events. Leads are handled in small
batches, each its own transaction, so a crash loses at most the batch in flight and a rerun goes on.
"""
from __future__ import annotations

import logging
import time as timer
import uuid
from collections import Counter
from datetime import datetime
from typing import Callable

from data.followup_models import FollowupStepRecord
from domain.cloudevents import CloudEvent
from domain.events import (FOLLOWUP_FAILED, FOLLOWUP_PROCESSED, FOLLOWUP_SCHEDULED, FOLLOWUP_SENT, FOLLOWUP_SKIPPED,
                           LEAD_STATUS_CHANGED, idempotency_key)
from domain.followups import (TEMPLATE_KIND, Action, Contact, Decision, SkipReason, business_time, clock_start,
                              decide, due_after, mail_variables, next_step, step_key)
from domain.model import ActivityType, LeadStatus, Step
from domain.stats import in_holdout
from domain.tasks import CALL_AFTER_T7, call_task
from mailer.api import MailRequest, QueueOutcome
from services.followup_automation import BatchFacts, FollowupAutomation, PendingMail, RunSummary, load_facts
from services.outbox import SOURCE_PREFIX, check_data, publish, to_row
from services.telemetry import failure_class

log = logging.getLogger(__name__)
PRODUCER = "followups"
PRODUCES = {PRODUCER: (FOLLOWUP_SCHEDULED, FOLLOWUP_SENT, FOLLOWUP_SKIPPED, FOLLOWUP_FAILED, FOLLOWUP_PROCESSED,
                       LEAD_STATUS_CHANGED)}  # read by pipelines.catalog
MAX_ATTEMPTS = 3  # a step that failed this often is given up and the sequence moves on
PREVIOUS = {Step.T7: Step.T3, Step.REMIND: Step.T7}
HOLDOUT = "holdout"  # the skip reason of a lead in the ROI page's holdout group (domain.stats.in_holdout)


class LeadRun:
    """Handles one lead inside the caller's transaction; returns (step, outcome)."""

    def __init__(self, tx, automation: FollowupAutomation, now: datetime, run_id: str, holdout_share: float = 0.0):
        self.tx, self.auto, self.now, self.run_id = tx, automation, now, run_id
        self.holdout_share = holdout_share  # this share of leads gets no automated mail (the ROI's control group)
        self.events: list = []  # written with one insert per batch by flush_events()
        self.activities: list[dict] = []  # likewise
        self.claimed: list = []  # the steps this run inserted, settled by flush_events()
        self.leads: list = []  # the leads handled, their progress saved by flush_events()
        self.tasks: list[dict] = []  # call tasks of the reminders, keyed by their step: one per reminder
        self.errors: Counter = Counter()  # (step, failure class) of the failed steps

    def flush_events(self) -> None:
        """Write the batch's leads, step outcomes, activities, call tasks and events, one statement each."""
        self.tx.followups.save_progress(self.leads)
        self.tx.followups.settle(self.claimed)
        self.tx.leads.add_lead_activities(self.activities)
        self.tx.tasks.add_many(self.tasks)
        self.tx.events.add_many(self.events)
        self.events, self.activities, self.claimed, self.leads, self.tasks = [], [], [], [], []

    def handle(self, leads: list, facts: BatchFacts, on_demand: bool = False) -> list[tuple[str, str]]:
        """Decide for every lead, claim the steps to act on with one insert, then act on each."""
        self.leads.extend(leads)
        triaged = [self._triage(lead, facts, on_demand) for lead in leads]
        fresh = [t[3] for t in triaged if len(t) == 4 and t[3].id is None and t[3].status == "claimed"]
        won = self.tx.followups.claim_many(fresh)
        acted = [t if len(t) == 2 else self._act(*t, won) for t in triaged]
        mails = [a for a in acted if isinstance(a, PendingMail)]
        outcomes = dict(zip(map(id, mails), self.auto.queue_batch(
            self.tx, [(m.request, m.record.key) for m in mails], self.now))) if mails else {}
        return [self._sent(a, outcomes[id(a)]) if isinstance(a, PendingMail) else a for a in acted]

    def _triage(self, lead, facts: BatchFacts, on_demand: bool) -> tuple:
        """(step, outcome) when nothing needs a claim; else (lead, decision, bt, record to claim)."""
        if lead.id in facts.paused and not on_demand:
            lead.next_followup_at = None
            return "-", "paused"
        bt = business_time(lead, self.auto.policy, self.auto.calendar)
        started = clock_start(lead)
        records = {r.step: r for r in facts.steps.get(lead.id, ()) if r.clock_start == started}
        before = PREVIOUS.get(next_step(lead.last_followup_step))
        previous = records.get(before.value) if before else None
        decision = decide(lead, self.now, bt, [Contact(*c) for c in facts.contacts.get(lead.id, ())],
                          suppression=facts.suppressions.get((lead.email or "").lower()),
                          previous_step_at=previous and (previous.sent_at or previous.claimed_at), on_demand=on_demand)
        if decision.action == Action.SEND and decision.step != Step.REMIND and self.holdout_share \
                and in_holdout(lead.id, self.holdout_share):
            decision = Decision(Action.SKIP, decision.step, HOLDOUT)
        if decision.action == Action.DONE:
            lead.next_followup_at = None
            return "-", "done"
        if decision.action == Action.REPLAN:
            self._plan(lead, decision.step, decision.at, decision.reason)
            return decision.step.value, "replanned"
        existing = records.get(decision.step.value)
        if existing is not None:  # failed before: retried by an atomic update; else another run had it
            existing = existing if existing.status == "failed" else FollowupStepRecord(status="taken")
            return lead, decision, bt, existing
        return lead, decision, bt, FollowupStepRecord(
            key=step_key(lead.id, decision.step, started), lead_id=lead.id, step=decision.step.value,
            clock_start=started, status="claimed", attempts=1, planned_at=lead.next_followup_at,
            claimed_at=self.now, run_id=self.run_id)

    def _act(self, lead, decision, bt, record, won: set) -> tuple[str, str]:
        if record.status == "failed":
            record = self.tx.followups.reclaim_failed(record.key, self.now, self.run_id)
        elif record.key in won:
            self.claimed.append(record)
        else:
            record = None
        if record is None:  # another run has (or had) this step: only catch the lead up
            self._advance(lead, decision.step, bt)
            return decision.step.value, "taken"
        if decision.action == Action.SKIP:
            return self._skip(lead, record, decision.reason, bt)
        if decision.step == Step.REMIND:
            return self._remind(lead, record, bt)
        return self._send(lead, record, bt)

    def _plan(self, lead, step: Step | None, at: datetime | None, reason: str | None = None, quiet=False) -> None:
        lead.next_followup_at, lead.updated_at = at, self.now
        if at is not None and step in (Step.T3, Step.T7) and not quiet:
            data = {"lead_id": lead.id, "step": step.value, "due_at": at.isoformat()}
            self._event(FOLLOWUP_SCHEDULED, lead, data, (lead.id, step.value, at.isoformat()), reason=reason)

    def _advance(self, lead, handled: Step, bt, terminal: bool = False, quiet: bool = False) -> None:
        """Move the lead past `handled`; `quiet` when the caller's event already names the next due time."""
        if handled != Step.REMIND:
            lead.last_followup_step = handled.value
        following = {Step.T3: Step.T7, Step.T7: Step.REMIND}.get(handled)
        self._plan(lead, following, None if terminal else due_after(lead, handled, self.now, bt), quiet=quiet)

    def _skip(self, lead, record, reason: str, bt) -> tuple[str, str]:
        record.status, record.reason = "skipped", reason[:200]
        # Contact in the window skips this step only; every other reason ends the sequence.
        self._advance(lead, Step(record.step), bt, terminal=not reason.startswith(SkipReason.CONTACT.value))
        if record.step != Step.REMIND.value:
            self._event(FOLLOWUP_SKIPPED, lead, {"lead_id": lead.id, "step": record.step, "reason": reason}, (record.key,))
        return record.step, "skipped"

    def _remind(self, lead, record, bt) -> tuple[str, str]:
        """Still silent after T+7: the lead waits for its owner, who gets a task to call (due in a business day)."""
        record.status, record.sent_at = "sent", self.now
        self.tasks.append(call_task(lead.id, record.key, self.now, bt.add_days(self.now, 1)))
        self._activity(lead, ActivityType.TASK, {"step": Step.T7.value, "title": CALL_AFTER_T7,
                                                 "assignee_id": lead.owner_id})
        if lead.status != LeadStatus.REMINDER.value:
            data = {"lead_id": lead.id, "from": lead.status, "to": LeadStatus.REMINDER.value,
                    "reason": "no answer after T+7"}
            lead.status = LeadStatus.REMINDER.value
            self._event_type(LEAD_STATUS_CHANGED, lead, data, (record.key,))
        lead.next_followup_at, lead.updated_at = None, self.now
        return record.step, "sent"

    def _send(self, lead, record, bt) -> "tuple[str, str] | PendingMail":
        """Render the mail; the batch queues every rendered one at once, then _sent finishes each."""
        step = Step(record.step)
        try:  # rendering only reads: a failure writes nothing
            content = self.auto.render(self.tx, TEMPLATE_KIND[step], self.auto.locale,
                                       {**mail_variables(lead, step, self.now),
                                        "unsubscribe_url": self.auto.unsubscribe_url(lead.email)},
                                       f"{lead.id}:{step.value}")
        except Exception as exc:  # noqa: BLE001 - one lead's broken mail must not stop the run
            return self._fail(lead, record, f"{type(exc).__name__}: {exc}", bt)
        request = MailRequest(lead.email, content, lead.id, {"followup_step": step.value})
        return PendingMail(lead, record, bt, request)

    def _sent(self, pending: "PendingMail", outcome) -> tuple[str, str]:
        lead, record, bt, content = pending.lead, pending.record, pending.bt, pending.request.content
        step = Step(record.step)
        if isinstance(outcome, Exception):
            return self._fail(lead, record, f"{type(outcome).__name__}: {outcome}", bt)
        if outcome == QueueOutcome.SUPPRESSED:
            return self._skip(lead, record, "suppressed", bt)
        record.status, record.sent_at, record.email_key = "sent", self.now, record.key
        self._activity(lead, ActivityType.FOLLOW_UP, {"step": step.value, "template": TEMPLATE_KIND[step],
                                                      "template_version": content.template_version,
                                                      "variant": content.variant, "key": record.key})
        self._advance(lead, step, bt, quiet=True)
        self._event(FOLLOWUP_SENT, lead, {"lead_id": lead.id, "step": step.value, "sent_at": self.now.isoformat(),
                                   "template": TEMPLATE_KIND[step], "template_version": content.template_version,
                                   "variant": content.variant, "message_id": record.key,
                                   "next_due_at": lead.next_followup_at.isoformat()},
                    (record.key,))
        return step.value, "sent"

    def _fail(self, lead, record, reason: str, bt) -> tuple[str, str]:
        log.warning("follow-up %s of lead %s failed: %s", record.step, lead.id, reason)
        record.status, record.reason = "failed", reason[:200]
        self.errors[(record.step, failure_class(reason))] += 1
        self._event(FOLLOWUP_FAILED, lead, {"lead_id": lead.id, "step": record.step, "reason": reason[:500],
                                     "attempt": record.attempts}, (record.key, record.attempts))
        if record.attempts >= MAX_ATTEMPTS:
            self._advance(lead, Step(record.step), bt)  # given up: the sequence goes on without it
        else:
            self._plan(lead, Step(record.step), bt.next_opening(self.now), "retry after failure")
        return record.step, "failed"

    def _activity(self, lead, type_: ActivityType, details: dict) -> None:
        self.activities.append({"lead_id": lead.id, "customer_id": None, "type": type_.value, "user_id": None,
                                "occurred_at": self.now, "details": details})

    def _event(self, type_: str, lead, data: dict, facts: tuple, reason: str | None = None) -> None:
        if reason:
            data["reason"] = reason
        self._event_type(type_, lead, data, facts)

    def _event_type(self, type_: str, lead, data: dict, facts: tuple) -> None:
        """services.outbox.publish, buffered: validated now, inserted with the batch."""
        check_data(type_, data)
        key = idempotency_key(type_, *facts)
        self.events.append(to_row(CloudEvent(id=key, source=SOURCE_PREFIX + PRODUCER, type=type_, time=self.now,
                                                data=data, subject=f"lead/{lead.id}", idempotencykey=key), self.now))


def _chunks(ids: list[int], size: int):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def run_due_followups(uow, automation: FollowupAutomation, clock: Callable[[], datetime], *,
                      batch_size: int = 250, run_id: str | None = None) -> RunSummary:
    """Handle every lead whose next step is due now; one `followup.processed` event per run."""
    summary = RunSummary(run_id or uuid.uuid4().hex[:16], clock())
    began = timer.perf_counter()
    holdout_share = automation.holdout_share(uow)
    with uow(write=False) as tx:
        due = tx.followups.due_lead_ids(summary.started_at)
    for chunk in _chunks(due, batch_size):
        now = clock()
        with uow() as tx:
            leads = tx.followups.lock_due(chunk, now)
            if leads:
                facts, run = load_facts(tx, leads), LeadRun(tx, automation, now, summary.run_id, holdout_share)
                summary.counts.update(run.handle(leads, facts))
                summary.errors.update(run.errors)
                run.flush_events()
            tx.commit()
    summary.finished_at, summary.duration_s = clock(), timer.perf_counter() - began
    _record_summary(uow, summary)
    automation.telemetry.followup_run_finished(summary)
    return summary


def _record_summary(uow, summary: RunSummary) -> None:
    data = {"run_id": summary.run_id, "sent": summary.sent, "skipped": summary.skipped, "failed": summary.failed,
            "replanned": summary.total("replanned"), "by_step": summary.by_step(),
            "duration_ms": round(summary.duration_s * 1000, 1), "started_at": summary.started_at.isoformat(),
            "finished_at": summary.finished_at.isoformat()}
    with uow() as tx:
        publish(tx, FOLLOWUP_PROCESSED, producer=PRODUCER, subject=None, data=data, facts=(summary.run_id,),
                time=summary.finished_at)
        tx.commit()
