"""One demo lead's ~90 days, told as a story: registration, sample, follow-ups, replies, calls,
conversion and orders, each step decided by the shared random.Random, so a seed repeats them all.

The lead is a `data.repositories.new_lead` object and its customer a model object, both before the
database hands out ids; demo/seed.py stores them through the unit of work.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from data.models import Customer, User
from data.repositories import new_lead
from demo import vocabulary as V
from domain.model import ActivityType as A
from domain.model import LeadStatus, Outcome, Step
from domain.stats import DEFAULT_HOLDOUT_SHARE, in_holdout

HISTORY_DAYS = 90
HELD_OUT_YES_RATE = 0.025  # of held-out leads: against ~14% positive replies with the automation
REPLY_RATE = 0.36  # of leads with consent; some replies still lie ahead, so ~25-30% have replied
CONVERT_RATE = 0.55  # of positive repliers
UTC = timezone.utc
_STEPS = ((Step.T3, 3, "SAMPLE_REQUEST"), (Step.T7, 7, "FOLLOW_UP"))  # template kinds, as live runs log them


@dataclass
class LeadStory:
    """One lead and its history before the database hands out ids."""

    lead: SimpleNamespace
    tz: ZoneInfo
    now: datetime
    acts: list[dict] = field(default_factory=list)
    customer: Customer | None = None

    def add(self, type_: A, at: datetime, *, human: bool = True, outcome: str | None = None,
            for_customer: bool = False, **details) -> bool:
        """Record an activity unless it would lie in the future; returns whether it happened."""
        if at >= self.now:
            return False
        self.acts.append({"type": type_.value, "outcome": outcome, "occurred_at": at, "details": details,
                          "user_id": self.lead.owner_id if human else None, "customer_id": for_customer})
        return True

    def rows(self) -> list[dict]:
        """Activity columns, in time order, once the lead and customer have their ids."""
        return [dict(a, lead_id=self.lead.id, customer_id=self.customer.id if a["customer_id"] else None)
                for a in sorted(self.acts, key=lambda a: a["occurred_at"])]


def lead_story(rng: random.Random, i: int, owner: User, team: str, now: datetime) -> LeadStory:
    reply_step, outcome = _fate(rng)
    lead = _new_lead(rng, i, owner, team, now, positive=outcome == Outcome.POSITIVE.value)
    story = LeadStory(lead, ZoneInfo(lead.timezone), now)
    clock = _sample(story, rng)
    if rng.random() < 0.25:
        story.add(A.NOTE, lead.registered_at + timedelta(minutes=rng.randint(5, 600)), text=rng.choice(V.NOTES))
    if lead.email_consent and not in_holdout(i + 1, DEFAULT_HOLDOUT_SHARE):  # ids are 1.. in a fresh database
        _sequence(story, rng, clock, reply_step, outcome)
    elif lead.email_consent:
        _held_out(story, rng, clock)
    else:
        _manual_only(story, rng, clock)
    lead.updated_at = max([lead.registered_at] + [a["occurred_at"] for a in story.acts])
    return story


def soonest_due(pending: list[tuple[datetime, str | None, int]], leads: int, rng: random.Random,
                now: datetime) -> dict[int, datetime]:
    """A first start shows follow-ups going out at once: the soonest pending T+3 and T+7 steps are
    due now (the first run sends those inside their lead's business hours). `pending`: (next follow-up,
    last step, lead id) of the waiting leads in id order; returns {lead id: its new next follow-up}."""
    ordered = sorted(pending, key=lambda waiting: waiting[0])
    per_step, due = max(2, leads // 200), {}
    for step in (None, Step.T3.value):  # awaiting T+3, awaiting T+7
        for _at, _step, lead_id in [waiting for waiting in ordered if waiting[1] == step][:per_step]:
            due[lead_id] = now - timedelta(minutes=rng.randint(1, 30))
    return due


def _fate(rng: random.Random) -> tuple[Step | None, str | None]:
    """Whether a lead will answer, after which step, and how; decided up front so the score can match."""
    if rng.random() >= REPLY_RATE:
        return None, None
    step = Step.T3 if rng.random() < 0.6 else Step.T7
    return step, rng.choices(list(V.REPLY_WEIGHTS), weights=list(V.REPLY_WEIGHTS.values()))[0]


def _new_lead(rng: random.Random, i: int, owner: User, team: str, now: datetime, positive: bool) -> SimpleNamespace:
    identity = V.lead_identity(rng, i, team)
    low, high = V.VOLUME_RANGES[identity["business_type"]]
    # Registrations grow towards the present: 40% of them fall into the last four weeks.
    age = timedelta(days=rng.uniform(0, HISTORY_DAYS if rng.random() < 0.6 else 28))
    return new_lead(**identity, owner_id=owner.id, team_id=owner.team_id, email_consent=rng.random() < 0.9,
                    score=rng.randint(45, 100) if positive else rng.randint(0, 85),
                    estimated_volume=rng.randint(low // 50, high // 50) * 50 if rng.random() < 0.88 else None,
                    status=LeadStatus.ACTIVE.value, registered_at=now - max(age, timedelta(minutes=10)))


def _plan(start: datetime, tz: ZoneInfo, days: int, rng: random.Random, hour: int = 9, span: int = 120) -> datetime:
    """`days` business days after `start` (weekends skipped), `hour` local plus up to `span` minutes, in UTC."""
    day = start.astimezone(tz).date()
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return (datetime.combine(day, time(hour), tzinfo=tz) + timedelta(minutes=rng.randrange(span))).astimezone(UTC)


def _sample(s: LeadStory, rng: random.Random) -> datetime:
    """~70% get a sample box; the follow-up clock starts at its delivery, otherwise at registration."""
    lead = s.lead
    if rng.random() >= 0.7:
        return lead.registered_at
    delivered = lead.registered_at + timedelta(days=rng.uniform(1, 3))
    s.add(A.SAMPLE_SENT, lead.registered_at + timedelta(hours=rng.uniform(1, 6)), box=V.SAMPLE_BOXES[lead.business_type])
    if delivered < s.now:
        lead.sample_delivered_at = delivered
    return delivered


def _sequence(s: LeadStory, rng: random.Random, clock: datetime, reply_step, outcome) -> None:
    lead, variant = s.lead, rng.choice("AB")
    for step, days, template in _STEPS:
        planned = _plan(clock, s.tz, days, rng)
        if not s.add(A.FOLLOW_UP, planned, human=False, step=step.value, template=template, template_version=1,
                     variant=variant if step == Step.T3 else "A"):
            lead.next_followup_at = planned
            fresh = lead.last_followup_step is None and lead.sample_delivered_at is None
            lead.status = (LeadStatus.REGISTERED if fresh else LeadStatus.ACTIVE).value
            return
        lead.last_followup_step = step.value
        if reply_step == step and _reply(s, rng, planned, step, outcome):
            return  # the reply ended the sequence
    _silent_after_t7(s, rng, planned)


def _reply(s: LeadStory, rng: random.Random, after: datetime, step: Step, outcome: str) -> bool:
    """Record the reply if it already came in; returns whether it stopped the sequence."""
    auto = outcome == Outcome.OUT_OF_OFFICE.value
    at = after + (timedelta(minutes=rng.randint(1, 15)) if auto else timedelta(hours=rng.uniform(1, 60)))
    if not s.add(A.REPLY, at, human=False, outcome=outcome, step=step.value, text=rng.choice(V.REPLY_TEXTS[outcome])):
        return False
    if auto:
        return False  # an absence notice is no answer: the sequence goes on
    if outcome == Outcome.POSITIVE.value:
        _positive(s, rng, at)
    elif outcome == Outcome.NEUTRAL.value:
        s.add(A.EMAIL, _plan(at, s.tz, 1, rng, 8, 540), note=rng.choice(V.EMAIL_NOTES))
    else:
        s.lead.status, s.lead.clock_stopped_at = LeadStatus.LOST.value, at
        if outcome == Outcome.UNSUBSCRIBE.value:
            s.lead.email_consent = False  # the unsubscribe withdrew it
    return True


def _positive(s: LeadStory, rng: random.Random, replied_at: datetime) -> None:
    lead = s.lead
    lead.status = LeadStatus.QUALIFIED.value
    contact = _plan(replied_at, s.tz, rng.randint(1, 2), rng, 8, 540)
    if not s.add(rng.choice((A.CALL, A.MEETING)), contact, note=rng.choice(V.CALL_NOTES + V.MEETING_NOTES)):
        return
    if lead.estimated_volume is None or rng.random() >= CONVERT_RATE:
        return  # readiness needs a volume; the rest stay qualified
    converted = _plan(contact, s.tz, rng.randint(1, 4), rng, 8, 540)
    if not s.add(A.CONVERSION, converted, for_customer=True, reason="positive reply", reply_outcome="POSITIVE"):
        return
    lead.status, lead.clock_stopped_at = LeadStatus.CONVERTED.value, converted
    onboarded = s.now - converted > timedelta(days=7) and rng.random() < 0.8
    s.customer = Customer(company=lead.company, email=lead.email, vat_id=lead.vat_id, owner_id=lead.owner_id,
                          team_id=lead.team_id, status="ACTIVE", onboarding="DONE" if onboarded else "PENDING",
                          created_at=converted)
    ordered = converted
    for _ in range(rng.randint(1, 4)):
        ordered = _plan(ordered, s.tz, rng.randint(1, 8), rng, 7, 240)
        s.add(A.ORDER, ordered, for_customer=True, amount_eur=round(lead.estimated_volume * rng.uniform(0.25, 0.7), 2))


def _silent_after_t7(s: LeadStory, rng: random.Random, t7: datetime) -> None:
    """No answer after T+7: the lead waits for its owner, who gets a task and sometimes calls."""
    s.lead.status = LeadStatus.REMINDER.value
    task_at = t7 + timedelta(days=2)
    if s.add(A.TASK, task_at, human=False, step="T7", title="Nach T+7 anrufen", assignee_id=s.lead.owner_id) \
            and rng.random() < 0.5:
        s.add(A.CALL, _plan(task_at, s.tz, 1, rng, 8, 540), note=rng.choice(V.CALL_NOTES))


def _held_out(s: LeadStory, rng: random.Random, clock: datetime) -> None:
    """The ROI page's holdout group gets no automated mail (the follow-up run skips it too): the owner
    phones, and a few say yes anyway, so the lift against it is what the automation adds."""
    _manual_only(s, rng, clock)
    if rng.random() < HELD_OUT_YES_RATE:
        at = _plan(clock, s.tz, rng.randint(3, 9), rng, 8, 540)
        if s.add(A.REPLY, at, human=False, outcome=Outcome.POSITIVE.value, step=None,
                 text=rng.choice(V.REPLY_TEXTS[Outcome.POSITIVE.value])):
            _positive(s, rng, at)


def _manual_only(s: LeadStory, rng: random.Random, clock: datetime) -> None:
    """Without consent no automated mail goes out; the owner phones instead."""
    called = s.add(A.CALL, _plan(clock, s.tz, 2, rng, 8, 540), note=rng.choice(V.CALL_NOTES))
    s.lead.status = (LeadStatus.ACTIVE if called else LeadStatus.REGISTERED).value
