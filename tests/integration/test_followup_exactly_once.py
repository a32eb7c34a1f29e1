"""Exactly once on PostgreSQL: two schedulers in two OS processes over 10,000 due leads, and a run
killed in the middle followed by a rerun, each leave every step queued exactly once."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from data.db import make_engine, make_session_factory
from data.followup_models import FollowupStepRecord
from data.migrate import upgrade
from data.models import EmailMessage, EventRecord, Lead, Team, User
from data.uow import SqlAlchemyUnitOfWork
from domain.followups import FollowupPolicy
from pipelines.scheduler import Leadership
from services.followups import FollowupAutomation, run_due_followups
from services.holiday_calendar import PublicHolidays
from tests.integration.followup_fakes import FakeRenderer, fake_queue

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
REGISTERED = datetime(2026, 11, 2, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)  # Monday
T3_DUE = datetime(2026, 11, 5, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)  # Thursday
NOW = T3_DUE + timedelta(minutes=5)
LEADS = 10_000
SPAWN = multiprocessing.get_context("spawn")


def run_once(url: str, results) -> None:
    """One scheduler process: its own engine and pool, the follow-up run, its counts reported back."""
    engine = make_engine(url)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    auto = FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: "https://x/u", render=FakeRenderer(),
                              queue=fake_queue)
    summary = run_due_followups(uow, auto, lambda: NOW, batch_size=100)
    results.put((os.getpid(), summary.sent, summary.total("taken")))


def seed(url: str) -> SqlAlchemyUnitOfWork:
    engine = make_engine(url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow() as tx:
        team = Team(name="Nord", created_at=REGISTERED)
        tx.users.add_team(team)
        owner = User(username="sales", display_name="Sales", password_hash="x", role="sales", team_id=team.id,
                     created_at=REGISTERED)
        tx.users.add(owner)
        rows = [{"company": f"Gasthaus {i}", "contact_name": "Anna", "email": f"l{i}@x.example", "business_type": "HOTEL",
                 "country": "DE", "timezone": "Europe/Berlin", "owner_id": owner.id, "team_id": team.id,
                 "email_consent": True, "score": 50, "status": "ACTIVE", "registered_at": REGISTERED,
                 "next_followup_at": T3_DUE, "updated_at": REGISTERED} for i in range(LEADS)]
        tx.session.execute(insert(Lead.__table__), rows)
        tx.commit()
    return uow


def counts(uow) -> dict:
    with uow(write=False) as tx:
        s = tx.session
        return {"mails": s.scalar(select(func.count()).select_from(EmailMessage)),
                "mail_keys": s.scalar(select(func.count(func.distinct(EmailMessage.idempotency_key)))),
                "leads_mailed": s.scalar(select(func.count(func.distinct(EmailMessage.lead_id)))),
                "steps": s.scalar(select(func.count()).select_from(FollowupStepRecord)),
                "sent_events": s.scalar(select(func.count()).select_from(EventRecord)
                                        .where(EventRecord.type == "com.freshplan.followup.sent.v1")),
                "still_due": s.scalar(select(func.count()).select_from(Lead).where(Lead.next_followup_at <= NOW))}


EXACTLY_ONCE = {"mails": LEADS, "mail_keys": LEADS, "leads_mailed": LEADS, "steps": LEADS, "sent_events": LEADS,
                "still_due": 0}


def test_two_scheduler_processes_queue_each_due_step_exactly_once(pg_url):
    uow = seed(pg_url)
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=run_once, args=(pg_url, results)) for _ in range(2)]
    for w in workers:
        w.start()
    reports = [results.get(timeout=150) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert counts(uow) == EXACTLY_ONCE
    assert sum(sent for _, sent, _ in reports) == LEADS  # the provider-facing count: one per due step
    assert all(sent > 0 for _, sent, _ in reports), reports  # both worked, neither duplicated


def test_a_run_killed_in_the_middle_then_rerun_sends_nothing_twice_and_leaves_nothing_due(pg_url):
    uow = seed(pg_url)
    results = SPAWN.Queue()
    victim = SPAWN.Process(target=run_once, args=(pg_url, results))
    victim.start()
    deadline = time.monotonic() + 90
    while counts(uow)["steps"] < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=10)
    halfway = counts(uow)
    assert victim.exitcode == -signal.SIGKILL and 0 < halfway["steps"] < LEADS
    assert halfway["mails"] == halfway["steps"]  # a claimed step always has its mail: one transaction
    run_once(pg_url, results)
    assert counts(uow) == EXACTLY_ONCE
    run_once(pg_url, results)  # and a third run finds nothing left
    assert counts(uow) == EXACTLY_ONCE


def test_one_process_leads_and_another_takes_over_when_it_is_gone(pg_url):
    engine = make_engine(pg_url)
    first, second = Leadership(engine), Leadership(make_engine(pg_url))
    assert first.is_leader() and first.is_leader()
    assert not second.is_leader()
    first.release()  # the leader's connection closes, as when its process dies
    assert second.is_leader()
    second.release()
