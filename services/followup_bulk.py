"""Pause, resume or "send now" for many leads at once: the rows a person selected on the Follow-ups page.

Each action is one transaction with a fixed number of statements, whatever the number of leads: one
read of the leads (locked on PostgreSQL, scope applied in the same statement), then one statement per
table written. The role is checked first; a lead outside the caller's scope is skipped as if it did not
exist. "Send now" goes through the run's own code (services.followup_run.LeadRun) with its skip rules
and its step keys, so a lead is sent each step once, whoever presses the button how often.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from domain.events import FOLLOWUP_SCHEDULED
from domain.followups import next_step
from domain.model import Step
from domain.roles import Actor, Forbidden, Page, may_edit_leads, require
from services.clock import Clock, utc_now
from services.followup_automation import FollowupAutomation, load_facts
from services.followup_run import LeadRun
from services.followups import SENDERS, planned_at
from services.outbox import publish_many
from services.scopes import caller_scope

ACTIONS = ("pause", "resume", "send")
PRODUCES = {"followups": (FOLLOWUP_SCHEDULED,)}  # read by pipelines.catalog: a resume plans the next step
MAX_BATCH = 500  # leads one action may take; more are refused, not cut


@dataclass
class BulkResult:
    action: str
    done: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> leads

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += n


def _picked(picks: list[tuple[int, str | None]]) -> dict[int, str | None]:
    """lead id -> the step the caller saw (the last pick of a lead wins)."""
    chosen = dict(picks)
    if len(chosen) > MAX_BATCH:
        raise ValueError(f"select at most {MAX_BATCH} rows at a time ({len(chosen)} selected)")
    return chosen


def _locked(tx, actor: Actor, chosen: dict, result: BulkResult) -> list:
    leads = tx.followups.lock_in_scope(sorted(chosen), caller_scope(tx, actor))
    result.skip("not_in_scope", len(chosen) - len(leads))
    return leads


def pause_many(uow, actor: Actor, picks: list[tuple[int, str | None]], clock: Clock = utc_now) -> BulkResult:
    """Pause the leads with a planned step; the others are skipped (already paused, nothing planned)."""
    _require_editor(actor)
    chosen, result = _picked(picks), BulkResult("pause")
    with uow() as tx:
        leads = _locked(tx, actor, chosen, result)
        pausable = [lead.id for lead in leads if not lead.paused and lead.next_followup_at is not None]
        result.skip("already_paused", sum(1 for lead in leads if lead.paused))
        result.skip("nothing_planned", sum(1 for lead in leads if not lead.paused and lead.next_followup_at is None))
        tx.followups.pause_many(pausable, actor.user_id, clock())
        tx.commit()
    result.done = len(pausable)
    return result


def _replanned(leads: list, automation: FollowupAutomation, now) -> list[tuple]:
    """Plan each resumed lead's next step again (as services.followups.plan_next_followup does, for a
    batch); the `followup.scheduled` events to publish, as publish_many's items."""
    events = []
    for lead in leads:
        lead.next_followup_at, lead.updated_at = planned_at(lead, now, automation.policy, automation.calendar), now
        step = next_step(lead.last_followup_step)
        if lead.next_followup_at is not None and step in (Step.T3, Step.T7):
            due = lead.next_followup_at.isoformat()
            events.append((f"lead/{lead.id}", {"lead_id": lead.id, "step": step.value, "due_at": due},
                           (lead.id, step.value, due), now))
    return events


def resume_many(uow, actor: Actor, picks: list[tuple[int, str | None]], automation: FollowupAutomation,
                clock: Clock = utc_now) -> BulkResult:
    """Resume paused leads: each gets its next step planned again, and a `followup.scheduled` event."""
    _require_editor(actor)
    chosen, result, now = _picked(picks), BulkResult("resume"), clock()
    with uow() as tx:
        found = _locked(tx, actor, chosen, result)
        leads = [lead for lead in found if lead.paused]
        result.skip("not_paused", len(found) - len(leads))
        events = _replanned(leads, automation, now)
        tx.followups.resume_many([lead.id for lead in leads])
        tx.followups.save_progress(leads)
        publish_many(tx, FOLLOWUP_SCHEDULED, producer="followups", items=events)
        tx.commit()
    result.done = len(leads)
    return result


def _why_not_send(lead, seen: str | None) -> str | None:
    """Why a selected lead is not sent now; None: send it."""
    upcoming = next_step(lead.last_followup_step)
    if lead.paused:
        return "paused"
    if lead.next_followup_at is None:
        return "nothing_planned"
    if seen is not None and (upcoming is None or upcoming.value != seen):
        return "taken"  # the step the caller saw was handled since
    return None


def send_many(uow, actor: Actor, picks: list[tuple[int, str | None]], automation: FollowupAutomation,
              clock: Clock = utc_now) -> BulkResult:
    """Send each lead's next step now, as the run would (skip rules, exactly-once keys). Skipped: paused
    leads, leads with nothing planned, and leads whose step is not the one the caller saw (handled since)."""
    require(actor, Page.FOLLOWUPS)
    if actor.role not in SENDERS:
        raise Forbidden.for_role(actor, "send a follow-up now")
    chosen, result, now = _picked(picks), BulkResult("send"), clock()
    with uow() as tx:
        leads = _locked(tx, actor, chosen, result)
        reasons = [_why_not_send(lead, chosen[lead.id]) for lead in leads]
        result.skipped.update(reason for reason in reasons if reason)
        sendable = [lead for lead, reason in zip(leads, reasons) if reason is None]
        if sendable:
            run = LeadRun(tx, automation, now, f"manual-{actor.user_id}")
            outcomes = Counter(outcome for _step, outcome in run.handle(sendable, load_facts(tx, sendable), on_demand=True))
            run.flush_events()
            result.done = outcomes.pop("sent", 0)
            result.skipped.update(outcomes)
        tx.commit()
    return result


def _require_editor(actor: Actor) -> None:
    require(actor, Page.FOLLOWUPS)
    if not may_edit_leads(actor):
        raise Forbidden.for_role(actor, "change follow-ups")


def change_many(uow, actor: Actor, action: str, picks: list[tuple[int, str | None]], automation: FollowupAutomation,
                clock: Clock = utc_now) -> BulkResult:
    """The Follow-ups page's bulk action: "pause", "resume" or "send" for the selected (lead, step) pairs."""
    if action == "pause":
        return pause_many(uow, actor, picks, clock)
    if action == "resume":
        return resume_many(uow, actor, picks, automation, clock)
    if action == "send":
        return send_many(uow, actor, picks, automation, clock)
    raise ValueError(f"unknown follow-up action {action!r}")


__all__ = ["ACTIONS", "MAX_BATCH", "BulkResult", "change_many", "pause_many", "resume_many", "send_many"]
