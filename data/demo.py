"""Deterministic demo data: teams, users, templates, a rule and ~90 days of leads with their history.

Everything flows from one random.Random(seed) and the given `now`, so a seed and a moment always
produce the same rows (only the password hash differs, argon2 salts it). All of it is written in one
transaction with one bulk insert per table, so 2000 leads take about a second on SQLite.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from data import demo_vocabulary as V
from data.locks import AdvisoryLock, hold_until_transaction_ends
from data.models import Activity, ConversionRule, Customer, EmailTemplate, Lead, Team, User
from domain.model import ActivityType as A
from domain.model import LeadStatus, Outcome, Step
from domain.roles import Role
from domain.stats import DEFAULT_HOLDOUT_SHARE, in_holdout

DEMO_PASSWORD = "demo"
DEMO_ACCOUNTS = ("admin", "manager", "sales", "sales2", "analyst", "viewer")
DEMO_EMAIL_DOMAIN = "demo.freshplan.example"
HISTORY_DAYS = 90
HELD_OUT_YES_RATE = 0.025  # of held-out leads: against ~14% positive replies with the automation
REPLY_RATE = 0.36  # of leads with consent; some replies still lie ahead, so ~25-30% have replied
CONVERT_RATE = 0.55  # of positive repliers
UTC = timezone.utc
_STEPS = ((Step.T3, 3, "SAMPLE_REQUEST"), (Step.T7, 7, "FOLLOW_UP"))  # template kinds, as live runs log them


def seed_demo(session_factory, *, hash_password: Callable[[str], str], seed: int = 42, leads: int = 2000,
              now: datetime | None = None) -> bool:
    """Fill an EMPTY database with demo data; returns False (and writes nothing) when any user exists already.

    `hash_password` comes from the caller (services.auth) so the data layer never imports services."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # astimezone would silently take it as local time
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with session_factory() as session:
        _lock(session)
        if session.scalar(select(User.id).limit(1)) is not None:
            return False
        _fill(session, random.Random(seed), leads, now, hash_password(DEMO_PASSWORD))
        session.commit()  # leaving the block without this rolls everything back
    return True


def _lock(session) -> None:
    """Two app instances starting at once must not both seed: take the write lock before checking."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    else:
        hold_until_transaction_ends(session, AdvisoryLock.DEMO_SEEDING)


def _fill(session, rng: random.Random, leads: int, now: datetime, password_hash: str) -> None:
    teams = {name: Team(name=name, created_at=now - timedelta(days=400)) for name in ("Nord", "Süd")}
    session.add_all(teams.values())
    session.flush()
    users = _users(teams, now, password_hash)
    session.add_all(users.values())
    session.flush()
    rule = ConversionRule(**V.EXAMPLE_RULE, created_at=now - timedelta(days=60), updated_at=now - timedelta(days=60))
    session.add_all([EmailTemplate(**fields, created_by=users["admin"].id, created_at=now - timedelta(days=120))
                     for fields in V.template_fields()] + [rule])
    owners = [u for u in users.values() if u.role == Role.SALES.value]
    team_names = {t.id: name for name, t in teams.items()}
    stories = []
    for i in range(leads):
        owner = rng.choice(owners)
        stories.append(_story(rng, i, owner, team_names[owner.team_id], now))
    _ensure_due(stories, rng, now)
    _write_history(session, stories)


def _write_history(session, stories: list[_Story]) -> None:
    if not stories:
        return  # an executemany with no rows would insert one row of defaults
    # Plain executemany: the ORM would insert row by row here to learn each new id in order.
    first_lead = session.scalar(select(func.max(Lead.id))) or 0
    session.execute(insert(Lead.__table__), [_columns(s.lead) for s in stories])
    lead_ids = dict(session.execute(select(Lead.email, Lead.id).where(Lead.id > first_lead)).all())
    for s in stories:
        s.lead.id = lead_ids[s.lead.email]  # demo e-mails are unique: they carry the lead's index
    converted = [s for s in stories if s.customer is not None]
    for s in converted:
        s.customer.original_lead_id = s.lead.id
    session.add_all(s.customer for s in converted)
    session.flush()  # a few per cent of the leads: the ORM may insert them one by one
    rows = [row for s in stories for row in s.rows()]
    if rows:
        session.execute(insert(Activity.__table__), rows)


def _columns(row) -> dict:
    """A transient model object as insert parameters; the database assigns the id."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}


def _users(teams: dict[str, Team], now: datetime, password_hash: str) -> dict[str, User]:
    # argon2 is slow by design: one hash, shared by every demo account
    return {username: User(username=username, display_name=name, email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                           password_hash=password_hash, role=Role(role).value, active=True,
                           team_id=teams[team].id if team else None, created_at=now - timedelta(days=365))
            for username, name, role, team in V.STAFF}


@dataclass
class _Story:
    """One lead and its history before the database hands out ids (the model objects stay transient)."""

    lead: Lead
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
        """Insert parameters, in time order, once the lead and customer have their ids."""
        return [dict(a, lead_id=self.lead.id, customer_id=self.customer.id if a["customer_id"] else None)
                for a in sorted(self.acts, key=lambda a: a["occurred_at"])]


def _story(rng: random.Random, i: int, owner: User, team: str, now: datetime) -> _Story:
    reply_step, outcome = _fate(rng)
    lead = _new_lead(rng, i, owner, team, now, positive=outcome == Outcome.POSITIVE.value)
    story = _Story(lead, ZoneInfo(lead.timezone), now)
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


def _fate(rng: random.Random) -> tuple[Step | None, str | None]:
    """Whether a lead will answer, after which step, and how; decided up front so the score can match."""
    if rng.random() >= REPLY_RATE:
        return None, None
    step = Step.T3 if rng.random() < 0.6 else Step.T7
    return step, rng.choices(list(V.REPLY_WEIGHTS), weights=list(V.REPLY_WEIGHTS.values()))[0]


def _new_lead(rng: random.Random, i: int, owner: User, team: str, now: datetime, positive: bool) -> Lead:
    identity = V.lead_identity(rng, i, team)
    low, high = V.VOLUME_RANGES[identity["business_type"]]
    # Registrations grow towards the present: 40% of them fall into the last four weeks.
    age = timedelta(days=rng.uniform(0, HISTORY_DAYS if rng.random() < 0.6 else 28))
    return Lead(**identity, owner_id=owner.id, team_id=owner.team_id, email_consent=rng.random() < 0.9,
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


def _sample(s: _Story, rng: random.Random) -> datetime:
    """~70% get a sample box; the follow-up clock starts at its delivery, otherwise at registration."""
    lead = s.lead
    if rng.random() >= 0.7:
        return lead.registered_at
    delivered = lead.registered_at + timedelta(days=rng.uniform(1, 3))
    s.add(A.SAMPLE_SENT, lead.registered_at + timedelta(hours=rng.uniform(1, 6)), box=V.SAMPLE_BOXES[lead.business_type])
    if delivered < s.now:
        lead.sample_delivered_at = delivered
    return delivered


def _sequence(s: _Story, rng: random.Random, clock: datetime, reply_step, outcome) -> None:
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


def _reply(s: _Story, rng: random.Random, after: datetime, step: Step, outcome: str) -> bool:
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


def _positive(s: _Story, rng: random.Random, replied_at: datetime) -> None:
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


def _silent_after_t7(s: _Story, rng: random.Random, t7: datetime) -> None:
    """No answer after T+7: the lead waits for its owner, who gets a task and sometimes calls."""
    s.lead.status = LeadStatus.REMINDER.value
    task_at = t7 + timedelta(days=2)
    if s.add(A.TASK, task_at, human=False, step="T7", title="Nach T+7 anrufen", assignee_id=s.lead.owner_id) \
            and rng.random() < 0.5:
        s.add(A.CALL, _plan(task_at, s.tz, 1, rng, 8, 540), note=rng.choice(V.CALL_NOTES))


def _held_out(s: _Story, rng: random.Random, clock: datetime) -> None:
    """The ROI page's holdout group gets no automated mail (the follow-up run skips it too): the owner
    phones, and a few say yes anyway, so the lift against it is what the automation adds."""
    _manual_only(s, rng, clock)
    if rng.random() < HELD_OUT_YES_RATE:
        at = _plan(clock, s.tz, rng.randint(3, 9), rng, 8, 540)
        if s.add(A.REPLY, at, human=False, outcome=Outcome.POSITIVE.value, step=None,
                 text=rng.choice(V.REPLY_TEXTS[Outcome.POSITIVE.value])):
            _positive(s, rng, at)


def _manual_only(s: _Story, rng: random.Random, clock: datetime) -> None:
    """Without consent no automated mail goes out; the owner phones instead."""
    called = s.add(A.CALL, _plan(clock, s.tz, 2, rng, 8, 540), note=rng.choice(V.CALL_NOTES))
    s.lead.status = (LeadStatus.ACTIVE if called else LeadStatus.REGISTERED).value


def _ensure_due(stories: list[_Story], rng: random.Random, now: datetime) -> None:
    """A first start shows follow-ups going out at once: the soonest pending T+3 and T+7 steps are
    due now (the first run sends those inside their lead's business hours)."""
    pending = sorted((s.lead for s in stories if s.lead.next_followup_at), key=lambda lead: lead.next_followup_at)
    per_step = max(2, len(stories) // 200)
    for step in (None, Step.T3.value):  # awaiting T+3, awaiting T+7
        for lead in [lead for lead in pending if lead.last_followup_step == step][:per_step]:
            lead.next_followup_at = now - timedelta(minutes=rng.randint(1, 30))
