"""The demo simulator sends new leads, sample deliveries and replies through the event log; the relay's
consumers apply them; the same seed and clock give the same events; it stops when asked."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from data.db import make_engine, make_session_factory
from demo.seed import seed_demo
from data.migrate import upgrade
from data.models import Activity, EventRecord, Lead, User
from data.uow import SqlAlchemyUnitOfWork
from domain.events import FOLLOWUP_REPLIED, LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED
from pipelines.consumers.lead_state import LeadStateConsumer
from demo.simulator import SOURCE, DemoSimulator
from pipelines.relay import Relay

START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # a Monday morning


class SteppingClock:
    """Five seconds later at every reading, like the simulator's rounds."""

    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now


def fresh_uow(folder):
    engine = make_engine(f"sqlite:///{folder / 'sim.db'}")
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    seed_demo(uow.session_factory, hash_password=lambda p: "x", leads=0, now=START)  # teams and the sales users
    return uow


@pytest.fixture
def uow(tmp_path):
    return fresh_uow(tmp_path)


def drain(uow) -> None:
    relay = Relay(uow, consumers=[LeadStateConsumer()])
    while relay.run_once():
        pass


def test_ticks_create_leads_samples_and_replies_through_the_event_log(uow):
    sim = DemoSimulator(uow, seed=7, clock=SteppingClock())
    sent = [event for _ in range(20) for event in sim.tick()]
    kinds = {t: [e for e in sent if e.type == t] for t in (LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED, FOLLOWUP_REPLIED)}
    assert all(kinds.values()), {t: len(v) for t, v in kinds.items()}
    with uow(write=False) as tx:
        logged = tx.session.scalars(select(EventRecord.id).where(EventRecord.source == SOURCE)).all()
    assert sorted(logged) == sorted(e.id for e in sent)
    drain(uow)
    with uow(write=False) as tx:
        leads = {lead.email: lead for lead in tx.session.scalars(select(Lead).where(Lead.email.like("%-2026%")))}
        owners = {u.id: u.username for u in tx.session.scalars(select(User))}
        replies = tx.session.scalars(select(Activity).where(Activity.type == "REPLY")).all()
        assert set(leads) == {e.data["email"] for e in kinds[LEAD_REGISTERED]}
        assert {owners[lead.owner_id] for lead in leads.values()} <= {"sales", "sales2", "sales3", "sales4"}
        assert all(leads[e.data["email"]].sample_delivered_at is not None for e in kinds[LEAD_SAMPLE_DELIVERED])
        assert len(replies) == len(kinds[FOLLOWUP_REPLIED])
        for event in kinds[FOLLOWUP_REPLIED]:  # a real answer stops the clock, an absence notice does not
            stopped = leads[event.data["email"]].clock_stopped_at is not None
            assert stopped or event.data.get("label") == "OUT_OF_OFFICE"
        assert any(lead.next_followup_at for lead in leads.values())  # the follow-ups are planned


def test_the_same_seed_and_clock_give_the_same_events(tmp_path):
    def run(folder, seed):
        folder.mkdir()
        sim = DemoSimulator(fresh_uow(folder), seed=seed, clock=SteppingClock())
        return [e.to_json() for _ in range(6) for e in sim.tick()]

    first, again, other = run(tmp_path / "a", 3), run(tmp_path / "b", 3), run(tmp_path / "c", 4)
    assert first == again and first != other
    texts = {e["data"].get("text") for e in first + other} - {None}
    assert texts  # replies come with text, some German, some English


def test_it_ticks_in_its_thread_and_stops_cleanly(uow):
    sim = DemoSimulator(uow, seed=1, interval_s=0.05).start()
    deadline = time.monotonic() + 10
    while sim.ticks < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    sim.stop()
    assert sim.ticks >= 2 and not sim._thread.is_alive()
    ticks = sim.ticks
    time.sleep(0.2)
    assert sim.ticks == ticks


def test_the_simulated_replies_convert_some_leads_and_leave_some_for_review(tmp_path):
    from app import create_app
    from data.conversion_models import ConversionDecision, ReplyReview
    from tests.conftest import make_settings, shutdown, wait_for

    app = create_app(make_settings(tmp_path, demo_leads=20))
    try:
        uow = app.extensions["cockpit"].uow
        sim = DemoSimulator(uow, seed=11, clock=SteppingClock())
        for _ in range(120):
            sim.tick()

        def settled() -> bool:
            with uow(write=False) as tx:
                return tx.events.any_undelivered() is False

        assert wait_for(settled, timeout=60)
        with uow(write=False) as tx:
            decisions = tx.session.scalars(select(ConversionDecision.decision)).all()
            reviews = tx.session.scalars(select(ReplyReview.id)).all()
    finally:
        shutdown(app)
    assert decisions.count("CONVERT") >= 2, decisions
    assert "REJECT" in decisions and len(reviews) >= 1, (decisions, len(reviews))


def test_the_simulated_readers_open_and_click_the_mails_the_cockpit_sent(uow):
    from data.models import EmailMessage
    from data.tracking import EmailTracking
    from services.tracking import Tracking

    with uow() as tx:
        lead = tx.session.scalar(select(Lead.id).limit(1)) or None
        tx.session.add_all(EmailMessage(idempotency_key=f"sim-mail-{n}", lead_id=lead, to_email=f"r{n}@example.com",
                                        subject="Probe", body_html='<a href="https://shop.example/">Shop</a>',
                                        body_text="Probe", status="sent", created_at=START, sent_at=START)
                           for n in range(5))
        tx.commit()
    sim = DemoSimulator(uow, seed=5, clock=SteppingClock(), tracking=Tracking(True, "sim-secret-0123456789"))
    for _ in range(60):
        sim.tick()
    with uow(write=False) as tx:
        kinds = tx.session.scalars(select(EmailTracking.kind)).all()
        logged = tx.session.scalars(select(EventRecord.type).where(EventRecord.type.like("%email.%ed.v1"))).all()
    assert "open" in kinds and "click" in kinds
    assert sorted(set(logged)) == ["com.freshplan.email.clicked.v1", "com.freshplan.email.opened.v1"]
