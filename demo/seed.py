"""Deterministic demo data: teams, users, templates, a rule and ~90 days of leads with their history.

Everything flows from one random.Random(seed) and the given `now`, so a seed and a moment always
produce the same rows (only the password hash differs, argon2 salts it). All of it is written in one
transaction of the product's unit of work, with one bulk insert for the leads and one for their
activities per chunk of leads, so 2000 leads take about a second on SQLite.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Callable

from data.models import ConversionRule, EmailTemplate, Team, User
from data.uow import SqlAlchemyUnitOfWork
from demo import vocabulary as V
from demo.stories import LeadStory, lead_story, soonest_due
from domain.followups import FollowupPolicy, NoHolidays, business_time, clock_start, step_key
from domain.model import ActivityType, LeadStatus, Step
from domain.roles import Role
from domain.tasks import call_task

DEMO_PASSWORD = "demo"
DEMO_ACCOUNTS = ("admin", "manager", "sales", "sales2", "analyst", "viewer")
DEMO_EMAIL_DOMAIN = "demo.freshplan.example"
UTC = timezone.utc
# Stories are written and dropped a chunk at a time, so memory stays flat however many leads are seeded.
LEADS_PER_CHUNK = 5000


def seed_demo(session_factory, *, hash_password: Callable[[str], str], seed: int = 42, leads: int = 2000,
              now: datetime | None = None) -> bool:
    """Fill an EMPTY database with demo data; returns False (and writes nothing) when any user exists already.

    `session_factory`: the database's (a unit of work's `session_factory`); `hash_password`: the
    product's (services.auth), or a fast stand-in in tests."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # astimezone would silently take it as local time
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with SqlAlchemyUnitOfWork(session_factory) as tx:
        # Two app instances starting at once must not both seed: the lock comes before the check.
        tx.users.lock_for_seeding()
        if tx.users.any_exist():
            return False
        _fill(tx, random.Random(seed), leads, now, hash_password(DEMO_PASSWORD))
        tx.commit()  # leaving the block without this rolls everything back
    return True


def _fill(tx, rng: random.Random, leads: int, now: datetime, password_hash: str) -> None:
    teams = {name: Team(name=name, created_at=now - timedelta(days=400)) for name in ("Nord", "Süd")}
    for team in teams.values():
        tx.users.add_team(team)
    users = _users(teams, now, password_hash)
    for user in users.values():
        tx.users.add(user)
    admin = users["admin"].id
    tx.templates.add_version([EmailTemplate(**fields, created_by=admin, created_at=now - timedelta(days=120))
                              for fields in V.template_fields()])
    tx.conversions.add_rule(ConversionRule(**V.EXAMPLE_RULE, created_at=now - timedelta(days=60),
                                           updated_at=now - timedelta(days=60)))
    owners = [u for u in users.values() if u.role == Role.SALES.value]
    team_names = {t.id: name for name, t in teams.items()}
    pending: list[tuple[datetime, str | None, int]] = []  # (next follow-up, last step, lead id) of waiting leads
    for first in range(0, leads, LEADS_PER_CHUNK):
        stories = []
        for i in range(first, min(first + LEADS_PER_CHUNK, leads)):
            owner = rng.choice(owners)
            stories.append(lead_story(rng, i, owner, team_names[owner.team_id], now))
        _write_history(tx, stories)
        pending += [(s.lead.next_followup_at, s.lead.last_followup_step, s.lead.id)
                    for s in stories if s.lead.next_followup_at]
    tx.leads.reschedule(soonest_due(pending, leads, rng, now))


def _write_history(tx, stories: list[LeadStory]) -> None:
    tx.leads.add_all([s.lead for s in stories])  # one statement; sets each lead's id
    converted = [s for s in stories if s.customer is not None]
    for s in converted:
        s.customer.original_lead_id = s.lead.id
    tx.conversions.add_customers([s.customer for s in converted])
    tx.leads.add_activity_rows([row for s in stories for row in s.rows()])
    tx.tasks.add_many(_reminder_tasks(stories))


def _reminder_tasks(stories: list[LeadStory]) -> list[dict]:
    """Each REMINDER lead's call task, as the follow-up run writes it (keyed by the reminder step), due a
    business day after it was asked for; done where the owner has called since."""
    rows = []
    for s in stories:
        if s.lead.status != LeadStatus.REMINDER.value:
            continue
        asked = next((a["occurred_at"] for a in s.acts if a["type"] == ActivityType.TASK.value), s.now)
        due = business_time(s.lead, FollowupPolicy(), NoHolidays()).add_days(asked, 1)
        row = call_task(s.lead.id, step_key(s.lead.id, Step.REMIND, clock_start(s.lead)), asked, due)
        calls = [a["occurred_at"] for a in s.acts if a["type"] == ActivityType.CALL.value and a["occurred_at"] >= asked]
        if calls:
            row.update(done_at=min(calls), done_by=s.lead.owner_id)
        rows.append(row)
    return rows


def _users(teams: dict[str, Team], now: datetime, password_hash: str) -> dict[str, User]:
    # argon2 is slow by design: one hash, shared by every demo account
    return {username: User(username=username, display_name=name, email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                           password_hash=password_hash, role=Role(role).value, active=True,
                           team_id=teams[team].id if team else None, created_at=now - timedelta(days=365))
            for username, name, role, team in V.STAFF}
