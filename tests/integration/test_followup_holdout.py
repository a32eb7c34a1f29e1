"""The holdout group of the ROI page gets no automated follow-up: the run skips those leads with the
reason "holdout" (a followup.skipped event, no mail, no later step), with the share an admin set on
the ROI page, or its default until then."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from data.db import make_engine, make_session_factory
from data.followup_models import FollowupStepRecord
from data.migrate import upgrade
from data.models import EmailMessage, EventRecord, Lead, Team, User
from data.uow import SqlAlchemyUnitOfWork
from domain.followups import FollowupPolicy
from domain.roles import Actor, Role
from domain.stats import in_holdout
from services.analytics_roi import ASSUMPTIONS, set_assumption
from services.followup_automation import stored_holdout_share
from services.followups import FollowupAutomation, automation_from_settings, plan_next_followup, run_due_followups
from services.holiday_calendar import PublicHolidays
from tests.conftest import make_settings
from tests.integration.followup_fakes import FakeRenderer, fake_queue

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)
T3_DUE = datetime(2026, 11, 5, 10, 5, tzinfo=BERLIN).astimezone(timezone.utc)
T7_DUE = datetime(2026, 11, 11, 10, 5, tzinfo=BERLIN).astimezone(timezone.utc)
LEADS = 24


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    upgrade(engine)
    yield SqlAlchemyUnitOfWork(make_session_factory(engine))
    engine.dispose()


def automation(**parts) -> FollowupAutomation:
    return FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: "https://x/u", render=FakeRenderer(),
                              queue=fake_queue, **parts)


@pytest.fixture
def lead_ids(uow) -> list[int]:
    auto = automation()
    with uow() as tx:
        team = Team(name="Nord", created_at=MONDAY)
        tx.users.add_team(team)
        owner = User(username="sales", display_name="Sales", password_hash="x", role="sales", team_id=team.id,
                     created_at=MONDAY)
        tx.users.add(owner)
        leads = [Lead(company=f"Hotel{i}", contact_name="Anna", email=f"hotel{i}@x.example", business_type="HOTEL",
                      owner_id=owner.id, team_id=team.id, status="ACTIVE", registered_at=MONDAY, updated_at=MONDAY,
                      email_consent=True) for i in range(LEADS)]
        for lead in leads:
            tx.leads.add(lead)
            plan_next_followup(lead, auto.policy, auto.calendar, MONDAY, tx)
        tx.commit()
        return [lead.id for lead in leads]


def mailed(uow) -> set[int]:
    with uow(write=False) as tx:
        return set(tx.session.scalars(select(EmailMessage.lead_id)))


def skipped(uow) -> dict[int, str]:
    with uow(write=False) as tx:
        rows = tx.session.scalars(select(EventRecord).where(EventRecord.type == "com.freshplan.followup.skipped.v1"))
        return {r.data["lead_id"]: r.data["reason"] for r in rows}


def test_an_admin_set_share_holds_those_leads_out_of_every_automated_step(uow, lead_ids):
    admin = Actor(1, "admin", Role.ADMIN, None)
    set_assumption(uow, admin, "holdout_share", 0.5, MONDAY)
    held = {i for i in lead_ids if in_holdout(i, 0.5)}
    assert 0 < len(held) < LEADS
    auto = automation(holdout_share=stored_holdout_share)
    first = run_due_followups(uow, auto, lambda: T3_DUE)
    assert first.counts == {("T3", "sent"): LEADS - len(held), ("T3", "skipped"): len(held)}
    assert mailed(uow) == set(lead_ids) - held
    assert skipped(uow) == {i: "holdout" for i in held}
    with uow(write=False) as tx:
        reasons = {r.lead_id: r.reason for r in tx.session.scalars(select(FollowupStepRecord))}
        waiting = {lead.id for lead in tx.session.scalars(select(Lead).where(Lead.next_followup_at.is_not(None)))}
    assert {i for i, reason in reasons.items() if reason == "holdout"} == held
    assert waiting == set(lead_ids) - held  # a held-out lead has no next step planned
    second = run_due_followups(uow, auto, lambda: T7_DUE)
    assert second.counts == {("T7", "sent"): LEADS - len(held)}


@pytest.mark.parametrize("key,value,message", [
    (None, 0.2, "choose the assumption to change"), ("holdout_share", None, "enter a value for"),
    ("holdout_share", 7, "must lie between"), ("no_such", 1, "unknown assumption 'no_such'")])
def test_an_incomplete_assumption_form_says_what_is_missing(uow, key, value, message):
    with pytest.raises(ValueError, match=message):
        set_assumption(uow, Actor(1, "admin", Role.ADMIN, None), key, value, MONDAY)


def test_without_a_stored_share_the_production_wiring_holds_out_the_default_share(uow, lead_ids, tmp_path):
    share = ASSUMPTIONS["holdout_share"][2]
    held = {i for i in lead_ids if in_holdout(i, share)}
    assert held and stored_holdout_share(uow) == share
    auto = automation_from_settings(make_settings(tmp_path), render=FakeRenderer(), queue=fake_queue)
    run_due_followups(uow, auto, lambda: T3_DUE)
    assert mailed(uow) == set(lead_ids) - held and skipped(uow) == {i: "holdout" for i in held}


def test_the_share_is_read_once_per_run_however_many_batches(uow, lead_ids):
    reads = []

    def share(uow_) -> float:
        reads.append(1)
        return 0.3

    summary = run_due_followups(uow, automation(holdout_share=share), lambda: T3_DUE, batch_size=5)
    assert len(reads) == 1 and summary.sent + summary.skipped == LEADS
    assert skipped(uow) == {i: "holdout" for i in lead_ids if in_holdout(i, 0.3)}
    later = T3_DUE + timedelta(hours=1)
    assert run_due_followups(uow, automation(), lambda: later).sent == 0  # a held-out lead is not due again
