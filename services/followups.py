"""Follow-up use cases: the run, planning when a lead's clock starts, pause/resume, "send now", and
the read models of the follow-up pages (a lead's timeline, what is due today or this week).

Pages call these with the signed-in Actor; the scope is decided here. Errors: `Forbidden` (role),
`LookupError` (no such lead in the caller's scope).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.cloudevents import storable_time
from domain.events import FOLLOWUP_SCHEDULED
from domain.followups import (FollowupPolicy, HolidayCalendar, business_time, next_step, step_due_at)
from domain.model import CLOSED_STATUSES, ActivityType, Step
from domain.roles import Actor, Forbidden, Page, Role, may_edit_leads, require, sees_lead_rows
from mailer.unsubscribe import unsubscribe_url
from services.clock import Clock, utc_now
from services.followup_automation import FollowupAutomation, RunSummary, stored_holdout_share
from services.followup_run import LeadRun, load_facts, run_due_followups
from services.holiday_calendar import PublicHolidays
from services.outbox import publish, publish_many
from services.scopes import caller_scope

__all__ = ["FollowupAutomation", "RunSummary", "automation_from_settings", "run_due_followups", "plan_next_followup", "register_leads",
           "pause_followups", "resume_followups", "send_now", "followup_timeline", "due_followups",
           "period_end", "run_followups_on_demand", "change_followups"]
HOME_ZONE = ZoneInfo("Europe/Berlin")  # where "today" and "this week" of the due list are counted
SENDERS = (Role.ADMIN, Role.MANAGER)
PRODUCES = {"followups": (FOLLOWUP_SCHEDULED,)}  # read by pipelines.catalog


def policy_from_settings(settings) -> FollowupPolicy:
    opens, closes = settings.followup_business_hours
    return FollowupPolicy(opens=opens, closes=closes, business_days=frozenset(settings.followup_business_days),
                          holidays=settings.followup_holidays,
                          stale_after=timedelta(hours=settings.followup_stale_after_h))


def automation_from_settings(settings, calendar: HolidayCalendar | None = None, **parts) -> FollowupAutomation:
    """The production wiring: the settings' rules, public holidays, the email core's renderer and queue.
    app.py builds it once; everything else takes it from there."""
    def link(email: str) -> str:
        return unsubscribe_url(email, settings.secret_key, settings.public_base_url)

    parts.setdefault("holdout_share", stored_holdout_share)  # the ROI page's holdout group gets no automated mail
    return FollowupAutomation(policy_from_settings(settings), calendar or PublicHolidays(), link, **parts)


def planned_at(lead, now: datetime, policy: FollowupPolicy, calendar: HolidayCalendar) -> datetime | None:
    """When the lead's next step is due, never before the next business slot after `now`."""
    step = next_step(lead.last_followup_step)
    if step is None or lead.clock_stopped_at is not None or lead.status in CLOSED_STATUSES:
        return None
    bt = business_time(lead, policy, calendar)
    if step == Step.REMIND:
        due = bt.add_days(step_due_at(lead, Step.T7, bt), policy.reminder_after_days)
    else:
        due = step_due_at(lead, step, bt)
    due = max(due, bt.next_slot(now))
    return due if storable_time(due) else None  # a clock started at the end of time plans nothing it could log


def plan_next_followup(lead, policy: FollowupPolicy, calendar: HolidayCalendar, now: datetime, tx=None,
                       restart: bool = False) -> datetime | None:
    """Set `lead.next_followup_at` where a lead's clock starts (registration, sample delivery) or
    resumes. `restart` begins the sequence anew (a sample delivery starts a new clock). With `tx`
    (and a lead that has its id) a `followup.scheduled` event is recorded too."""
    if restart:
        lead.last_followup_step = None
    paused = tx is not None and lead.id is not None and tx.followups.is_paused(lead.id)
    due = None if paused else planned_at(lead, now, policy, calendar)
    lead.next_followup_at = due
    step = next_step(lead.last_followup_step)
    if tx is not None and due is not None and lead.id is not None and step in (Step.T3, Step.T7):
        publish(tx, FOLLOWUP_SCHEDULED, producer="followups", subject=f"lead/{lead.id}",
                data={"lead_id": lead.id, "step": step.value, "due_at": due.isoformat()},
                facts=(lead.id, step.value, due.isoformat()), time=now)
    return due


def register_leads(tx, leads: list, policy: FollowupPolicy, calendar: HolidayCalendar) -> None:
    """Insert new leads with their first step planned from their registration (a new lead is never
    paused), and record each `followup.scheduled`: one insert for the leads, one for the events."""
    for lead in leads:
        lead.next_followup_at = planned_at(lead, lead.registered_at, policy, calendar)
    tx.leads.add_all(leads)
    items = []
    for lead in leads:
        step = next_step(lead.last_followup_step)
        if lead.next_followup_at is not None and step in (Step.T3, Step.T7):
            due = lead.next_followup_at.isoformat()
            items.append((f"lead/{lead.id}", {"lead_id": lead.id, "step": step.value, "due_at": due},
                          (lead.id, step.value, due), lead.registered_at))
    publish_many(tx, FOLLOWUP_SCHEDULED, producer="followups", items=items)


def _lead_in_scope(tx, actor: Actor, lead_id: int):
    lead = tx.leads.get(lead_id, caller_scope(tx, actor))
    if lead is None:
        raise LookupError(f"lead {lead_id} not found")
    return lead


def _require_editor(actor: Actor) -> None:
    require(actor, Page.LEADS)
    if not may_edit_leads(actor):
        raise Forbidden.for_role(actor, "change follow-ups")


def pause_followups(uow, actor: Actor, lead_id: int, clock: Clock = utc_now) -> None:
    """Stop the automation for one lead until resumed; nothing is sent or planned meanwhile."""
    _require_editor(actor)
    with uow() as tx:
        lead = _lead_in_scope(tx, actor, lead_id)
        tx.followups.pause(lead.id, actor.user_id, clock())
        lead.next_followup_at = None
        tx.commit()


def resume_followups(uow, actor: Actor, lead_id: int, automation: FollowupAutomation,
                     clock: Clock = utc_now) -> datetime | None:
    """Resume a paused lead; returns when its next step is now due (None: nothing left to send)."""
    _require_editor(actor)
    with uow() as tx:
        lead = _lead_in_scope(tx, actor, lead_id)
        tx.followups.resume(lead.id)
        due = plan_next_followup(lead, automation.policy, automation.calendar, clock(), tx)
        tx.commit()
        return due


def send_now(uow, actor: Actor, lead_id: int, automation: FollowupAutomation, clock: Clock = utc_now,
             step: str | None = None) -> dict:
    """A manager sends the lead's next step now, outside its schedule; the skip rules and the
    exactly-once key still hold. Returns {"step", "outcome"} (sent, skipped, failed, taken, done).
    `step` is the step the caller saw: once it is handled a repeated click sends nothing (taken)."""
    require(actor, Page.LEADS)
    if actor.role not in SENDERS:
        raise Forbidden.for_role(actor, "send a follow-up now")
    with uow() as tx:
        _lead_in_scope(tx, actor, lead_id)
        lead = tx.followups.lock_lead(lead_id)
        upcoming = next_step(lead.last_followup_step)
        if step is not None and (upcoming is None or upcoming.value != step):
            return {"step": step, "outcome": "taken"}
        now = clock()
        run = LeadRun(tx, automation, now, f"manual-{actor.user_id}")
        [(step, outcome)] = run.handle([lead], load_facts(tx, [lead]), on_demand=True)
        run.flush_events()
        tx.commit()
        return {"step": step, "outcome": outcome}


def _fmt(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def followup_timeline(uow, actor: Actor, lead_id: int) -> dict | None:
    """A lead's steps: sent, skipped (and why), failed, and the one planned next. None when the
    lead does not exist or lies outside the caller's scope."""
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden.for_role(actor, "open individual leads")
    with uow(write=False) as tx:
        try:
            lead = _lead_in_scope(tx, actor, lead_id)
        except LookupError:
            return None
        mails = {(a.details or {}).get("key"): a.details for a in tx.leads.activities(lead.id)
                 if a.type == ActivityType.FOLLOW_UP.value}  # which template and variant went out
        entries = [{"step": r.step, "status": r.status, "reason": r.reason, "planned_at": _fmt(r.planned_at),
                    "at": _fmt(r.sent_at or r.claimed_at), "attempts": r.attempts,
                    "template": mails.get(r.key, {}).get("template"), "variant": mails.get(r.key, {}).get("variant")}
                   for r in tx.followups.timeline(lead.id)]
        step, paused = next_step(lead.last_followup_step), tx.followups.is_paused(lead.id)
        if lead.next_followup_at is not None and step is not None:
            entries.append({"step": step.value, "status": "planned", "reason": None,
                            "planned_at": _fmt(lead.next_followup_at), "at": None, "attempts": 0})
        return {"lead_id": lead.id, "paused": paused, "timezone": lead.timezone,
                "next_step": step.value if step else None, "entries": entries}


def period_end(period: str, now: datetime) -> datetime:
    """Where today or this week ends, counted in HOME_ZONE, as an instant in `now`'s zone."""
    local = now.astimezone(HOME_ZONE)
    days = {"today": 1, "week": 7 - local.weekday()}.get(period)
    if days is None:
        raise ValueError(f"period must be 'today' or 'week', not {period!r}")
    end = datetime.combine(local.date() + timedelta(days=days), datetime.min.time(), tzinfo=HOME_ZONE)
    return end.astimezone(now.tzinfo)


def due_followups(uow, actor: Actor, period: str = "today", clock: Clock = utc_now, limit: int = 500) -> list[dict]:
    """The steps due in the caller's scope until the end of today or of this week (overdue included)."""
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden.for_role(actor, "open individual leads")
    now = clock()
    with uow(write=False) as tx:
        scope = caller_scope(tx, actor)
        leads = tx.followups.due_until(scope, period_end(period, now), limit)
        owners = {u.id: u.display_name for u in tx.users.list()}
        return [{"lead_id": lead.id, "company": lead.company, "owner": owners.get(lead.owner_id, "—"),
                 "step": next_step(lead.last_followup_step).value if next_step(lead.last_followup_step) else None,
                 "due_at": _fmt(lead.next_followup_at), "overdue": lead.next_followup_at <= now,
                 "status": lead.status, "timezone": lead.timezone} for lead in leads]


def run_followups_on_demand(uow, actor: Actor, automation: FollowupAutomation, clock: Clock = utc_now) -> dict:
    """An admin's "run now": one run at once, in this process. Should the scheduler run at the same
    moment, the step keys keep every send single. Returns the run's summary."""
    require(actor, Page.FOLLOWUPS)
    if actor.role != Role.ADMIN:
        raise Forbidden.for_role(actor, "start a follow-up run")
    summary = run_due_followups(uow, automation, clock)
    return {"run_id": summary.run_id, "sent": summary.sent, "skipped": summary.skipped, "failed": summary.failed,
            "replanned": summary.total("replanned"), "by_step": summary.by_step(),
            "duration_s": round(summary.duration_s, 3)}


def change_followups(uow, actor: Actor, action: str, lead_id: int, automation: FollowupAutomation,
                     step: str | None = None, clock: Clock = utc_now) -> dict:
    """One person's action on one lead's follow-ups: "pause", "resume" or "send" (now)."""
    require(actor, Page.FOLLOWUPS)
    if action == "pause":
        pause_followups(uow, actor, lead_id, clock)
        return {"action": action, "lead_id": lead_id, "outcome": "paused"}
    if action == "resume":
        due = resume_followups(uow, actor, lead_id, automation, clock)
        return {"action": action, "lead_id": lead_id, "outcome": "resumed", "due_at": _fmt(due)}
    if action == "send":
        return {"action": action, "lead_id": lead_id, **send_now(uow, actor, lead_id, automation, clock, step or None)}
    raise ValueError(f"unknown follow-up action {action!r}")
