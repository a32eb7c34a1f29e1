"""The follow-up run on SQLite with a fixed clock: due steps are queued once, a rerun sends nothing
more, events and activities are written, and a lead silent after T+7 becomes REMINDER with a task."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.followup_models import FollowupStepRecord
from data.migrate import upgrade
from data.models import Activity, EmailMessage, EventRecord, Lead, Team, User
from data.uow import SqlAlchemyUnitOfWork
from domain.followups import FollowupPolicy
from domain.roles import Actor, Forbidden, Role
from services.followups import (FollowupAutomation, due_followups, followup_timeline, pause_followups,
                                plan_next_followup, resume_followups, run_due_followups, send_now)
from services.holiday_calendar import PublicHolidays
from tests.integration.followup_fakes import FakeRenderer, fake_queue, mail_count

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=BERLIN).astimezone(UTC)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(engine)
    yield SqlAlchemyUnitOfWork(make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def renderer():
    return FakeRenderer()


@pytest.fixture
def auto(renderer):
    return FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: f"https://x/u?{email}",
                              render=renderer, queue=fake_queue)


@pytest.fixture
def people(uow):
    with uow() as tx:
        team, other = Team(name="Nord", created_at=MONDAY), Team(name="Süd", created_at=MONDAY)
        tx.users.add_team(team)
        tx.users.add_team(other)
        users = {name: User(username=name, display_name=name.title(), password_hash="x", role=role,
                            team_id=team.id if name != "fremd" else other.id, created_at=MONDAY)
                 for name, role in (("sales", "sales"), ("manager", "manager"), ("fremd", "manager"))}
        for user in users.values():
            tx.users.add(user)
        tx.commit()
        return {name: Actor(u.id, name, Role(u.role), u.team_id) for name, u in users.items()}


def add_lead(uow, auto, owner: Actor, company: str, registered=MONDAY, **kw) -> int:
    with uow() as tx:
        lead = Lead(company=company, contact_name="Anna", email=f"{company.lower()}@x.example", business_type="HOTEL",
                    owner_id=owner.user_id, team_id=owner.team_id, status="ACTIVE", registered_at=registered,
                    updated_at=registered, email_consent=kw.pop("email_consent", True), **kw)
        tx.leads.add(lead)
        plan_next_followup(lead, auto.policy, auto.calendar, registered, tx)
        tx.commit()
        return lead.id


def count(uow, model, *where) -> int:
    with uow(write=False) as tx:
        return tx.session.scalar(select(func.count()).select_from(model).where(*where))


def events(uow, name: str) -> list[dict]:
    with uow(write=False) as tx:
        return [r.data for r in tx.session.scalars(select(EventRecord).where(
            EventRecord.type == f"com.freshplan.{name}.v1").order_by(EventRecord.seq))]


def lead_of(uow, lead_id) -> Lead:
    with uow(write=False) as tx:
        lead = tx.leads.find(lead_id)
        tx.session.expunge(lead)  # keep its loaded state after the read transaction ends
        return lead


def test_due_steps_are_queued_once_and_a_rerun_sends_nothing_more(uow, auto, people):
    ids = [add_lead(uow, auto, people["sales"], f"Hotel{i}") for i in range(5)]
    assert lead_of(uow, ids[0]).next_followup_at == at(2026, 11, 5, 10, 0)
    assert run_due_followups(uow, auto, Clock(at(2026, 11, 5, 9, 59))).sent == 0  # not due yet
    clock = Clock(at(2026, 11, 5, 10, 3))
    first = run_due_followups(uow, auto, clock)
    assert first.counts == {("T3", "sent"): 5} and first.finished_at == clock.now
    clock.now += timedelta(hours=2)
    assert run_due_followups(uow, auto, clock).sent == 0  # the same day again
    with uow(write=False) as tx:
        assert mail_count(tx) == 5
    assert count(uow, FollowupStepRecord, FollowupStepRecord.status == "sent") == 5
    assert count(uow, Activity, Activity.type == "FOLLOW_UP") == 5
    assert [e["step"] for e in events(uow, "followup.sent")] == ["T3"] * 5
    assert {(e["template"], e["template_version"], e["variant"]) for e in events(uow, "followup.sent")} == {
        ("SAMPLE_REQUEST", 3, "A")}, "every send records the template, its version and its variant"
    processed = events(uow, "followup.processed")
    assert [p["sent"] for p in processed] == [0, 5, 0] and processed[1]["by_step"] == {"T3": {"sent": 5}}
    lead = lead_of(uow, ids[0])
    assert lead.last_followup_step == "T3" and lead.next_followup_at == at(2026, 11, 11, 10, 0)


def test_skips_are_recorded_with_their_reason_and_end_or_continue_the_sequence(uow, auto, people):
    silent = add_lead(uow, auto, people["sales"], "Silent", email_consent=False)
    called = add_lead(uow, auto, people["sales"], "Called")
    with uow() as tx:
        tx.leads.add_activity(Activity(lead_id=called, type="CALL", occurred_at=at(2026, 11, 3, 11, 0), details={}))
        tx.commit()
    run_due_followups(uow, auto, Clock(at(2026, 11, 5, 10, 1)))
    assert {(e["lead_id"], e["reason"]) for e in events(uow, "followup.skipped")} == {
        (silent, "no_consent"), (called, "meaningful_contact:CALL")}
    assert lead_of(uow, silent).next_followup_at is None  # no consent ends the sequence
    assert lead_of(uow, called).next_followup_at == at(2026, 11, 11, 10, 0)  # a call skips T+3 only
    run_due_followups(uow, auto, Clock(at(2026, 11, 11, 10, 1)))
    assert [(e["lead_id"], e["step"]) for e in events(uow, "followup.sent")] == [(called, "T7")]
    with uow(write=False) as tx:
        assert mail_count(tx) == 1


def test_silent_after_t7_becomes_reminder_and_the_owner_gets_a_call_task(uow, auto, people):
    lead_id = add_lead(uow, auto, people["sales"], "Quiet")
    replied = add_lead(uow, auto, people["sales"], "Talker")
    for moment in (at(2026, 11, 5, 10, 1), at(2026, 11, 11, 10, 1)):
        run_due_followups(uow, auto, Clock(moment))
    with uow() as tx:
        tx.leads.add_activity(Activity(lead_id=replied, type="REPLY", outcome="NEUTRAL",
                                       occurred_at=at(2026, 11, 12, 9, 0), details={}))
        tx.commit()
    assert lead_of(uow, lead_id).next_followup_at == at(2026, 11, 13, 10, 1)  # two business days after T+7
    summary = run_due_followups(uow, auto, Clock(at(2026, 11, 13, 10, 2)))
    assert summary.counts == {("REMIND", "sent"): 1, ("REMIND", "skipped"): 1}
    quiet = lead_of(uow, lead_id)
    assert quiet.status == "REMINDER" and quiet.next_followup_at is None
    with uow(write=False) as tx:
        task = tx.session.scalar(select(Activity).where(Activity.type == "TASK"))
        tx.session.expunge(task)
    assert task.lead_id == lead_id and task.details["assignee_id"] == people["sales"].user_id
    assert lead_of(uow, replied).status == "ACTIVE"
    assert [e["to"] for e in events(uow, "lead.status_changed")] == ["REMINDER"]


def test_a_broken_template_fails_the_step_which_is_retried_at_the_next_opening(uow, auto, people, renderer):
    lead_id = add_lead(uow, auto, people["sales"], "Broken")
    renderer.broken.add("Broken")
    summary = run_due_followups(uow, auto, Clock(at(2026, 11, 5, 10, 1)))
    assert summary.counts == {("T3", "failed"): 1}
    assert events(uow, "followup.failed")[0]["reason"].startswith("LookupError: no active SAMPLE_REQUEST")
    assert lead_of(uow, lead_id).next_followup_at == at(2026, 11, 6, 8, 0)
    renderer.broken.clear()
    assert run_due_followups(uow, auto, Clock(at(2026, 11, 6, 8, 1))).sent == 1
    with uow(write=False) as tx:
        assert mail_count(tx) == 1 and tx.followups.timeline(lead_id)[0].attempts == 2


def test_a_stale_step_is_replanned_and_quiet_hours_wait_for_the_morning(uow, auto, people):
    lead_id = add_lead(uow, auto, people["sales"], "Late")
    summary = run_due_followups(uow, auto, Clock(at(2026, 11, 6, 11, 0)))  # 25 h after T+3 was due
    assert summary.counts == {("T3", "replanned"): 1}
    assert lead_of(uow, lead_id).next_followup_at == at(2026, 11, 9, 8, 0)
    assert events(uow, "followup.scheduled")[-1]["reason"] == "stale"
    run_due_followups(uow, auto, Clock(at(2026, 11, 9, 7, 0)))
    assert run_due_followups(uow, auto, Clock(at(2026, 11, 9, 8, 2))).sent == 1
    with uow(write=False) as tx:
        assert mail_count(tx) == 1


def test_pause_resume_send_now_timeline_and_due_list(uow, auto, people):
    lead_id = add_lead(uow, auto, people["sales"], "Manual")
    pause_followups(uow, people["sales"], lead_id, clock=Clock(MONDAY))
    assert run_due_followups(uow, auto, Clock(at(2026, 11, 5, 10, 1))).sent == 0
    assert followup_timeline(uow, people["sales"], lead_id)["paused"] is True
    assert resume_followups(uow, people["sales"], lead_id, auto, clock=Clock(at(2026, 11, 5, 12, 0))) \
        == at(2026, 11, 5, 12, 0)
    today = due_followups(uow, people["manager"], "today", clock=Clock(at(2026, 11, 5, 11, 0)))
    assert [(d["lead_id"], d["step"], d["overdue"]) for d in today] == [(lead_id, "T3", False)]
    assert due_followups(uow, people["fremd"], "week", clock=Clock(at(2026, 11, 5, 11, 0))) == []
    with pytest.raises(Forbidden):
        send_now(uow, people["sales"], lead_id, auto, clock=Clock(at(2026, 11, 5, 11, 0)))
    with pytest.raises(LookupError):
        send_now(uow, people["fremd"], lead_id, auto, clock=Clock(at(2026, 11, 5, 11, 0)))
    assert send_now(uow, people["manager"], lead_id, auto, clock=Clock(at(2026, 11, 5, 11, 0))) == \
        {"step": "T3", "outcome": "sent"}
    assert run_due_followups(uow, auto, Clock(at(2026, 11, 5, 12, 1))).sent == 0
    entries = followup_timeline(uow, people["manager"], lead_id)["entries"]
    assert [(e["step"], e["status"]) for e in entries] == [("T3", "sent"), ("T7", "planned")]
    assert followup_timeline(uow, people["fremd"], lead_id) is None


def test_with_the_real_email_core_the_mail_carries_the_offer_and_an_unsubscribe_link(uow, people):
    from services.templates import ensure_seed_templates

    ensure_seed_templates(uow, MONDAY)
    auto = FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: f"https://cockpit.example/u?{email}")
    lead_id = add_lead(uow, auto, people["sales"], "Alpenblick")
    add_lead(uow, auto, people["sales"], "Ohne", email_consent=False)
    run_due_followups(uow, auto, Clock(at(2026, 11, 5, 10, 1)))
    summary = run_due_followups(uow, auto, Clock(at(2026, 11, 11, 10, 1)))
    assert summary.counts == {("T7", "sent"): 1}
    with uow(write=False) as tx:
        mails = tx.session.execute(select(EmailMessage.lead_id, EmailMessage.body_text).order_by(EmailMessage.id)).all()
    assert [m.lead_id for m in mails] == [lead_id, lead_id]
    assert "Starterbox" in mails[0].body_text and "Frühstücks-Set" in mails[0].body_text
    assert "20" in mails[1].body_text and "1.000" in mails[1].body_text
    assert "https://cockpit.example/u?alpenblick@x.example" in mails[1].body_text
