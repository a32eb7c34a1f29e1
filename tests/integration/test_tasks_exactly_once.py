"""Call tasks exactly once on PostgreSQL: two scheduler processes over 2,000 leads whose reminder is due
give each lead one task, in the transaction that makes it REMINDER (as many tasks as status changes)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EventRecord, Lead, Team, User
from data.task_models import Task
from data.uow import SqlAlchemyUnitOfWork
from domain.followups import FollowupPolicy
from services.followups import FollowupAutomation, run_due_followups
from services.holiday_calendar import PublicHolidays
from tests.integration.followup_fakes import FakeRenderer, fake_queue
from tests.integration.test_followup_exactly_once import SPAWN

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
REGISTERED = datetime(2026, 10, 26, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)
REMIND_DUE = datetime(2026, 11, 10, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)  # a Tuesday
NOW = REMIND_DUE + timedelta(minutes=5)
LEADS = 2_000


def remind_once(url: str, results) -> None:
    engine = make_engine(url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    auto = FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: "https://x/u", render=FakeRenderer(),
                              queue=fake_queue)
    results.put(run_due_followups(uow, auto, lambda: NOW, batch_size=100).counts.get(("REMIND", "sent"), 0))


def test_two_schedulers_give_each_silent_lead_one_call_task(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow() as tx:
        team = Team(name="Nord", created_at=REGISTERED)
        tx.users.add_team(team)
        owner = User(username="sales", display_name="Sales", password_hash="x", role="sales", team_id=team.id,
                     created_at=REGISTERED)
        tx.users.add(owner)
        tx.session.execute(insert(Lead.__table__), [
            {"company": f"Gasthaus {i}", "contact_name": "Anna", "email": f"l{i}@x.example", "business_type": "HOTEL",
             "country": "DE", "timezone": "Europe/Berlin", "owner_id": owner.id, "team_id": team.id,
             "email_consent": True, "score": 50, "status": "ACTIVE", "registered_at": REGISTERED,
             "last_followup_step": "T7", "next_followup_at": REMIND_DUE, "updated_at": REGISTERED} for i in range(LEADS)])
        tx.commit()
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=remind_once, args=(pg_url, results)) for _ in range(2)]
    for w in workers:
        w.start()
    reminded = [results.get(timeout=150) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert sum(reminded) == LEADS
    with uow(write=False) as tx:
        s = tx.session
        assert s.scalar(select(func.count()).select_from(Task)) == LEADS
        assert s.scalar(select(func.count(func.distinct(Task.lead_id)))) == LEADS
        assert s.scalar(select(func.count()).select_from(Lead).where(Lead.status == "REMINDER")) == LEADS
        assert s.scalar(select(func.count()).select_from(EventRecord)
                        .where(EventRecord.type == "com.freshplan.lead.status_changed.v1")) == LEADS
    engine.dispose()
