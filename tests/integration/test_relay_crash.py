"""The relay killed with SIGKILL mid-work: after a restart every consumer has applied every event
exactly once. The relay runs in its own process (tests/integration/relay_worker.py); one contract,
run on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EventRecord, InboxEntry, Lead
from data.uow import SqlAlchemyUnitOfWork
from domain.cloudevents import CloudEvent
from services.ingest import Outcome, ingest_events
from tests.conftest import wait_for
from tests.integration.relay_worker import EFFECTS, EffectRecorder

ROOT = Path(__file__).resolve().parents[2]
LEADS = 25  # each: registered, then sample_delivered (which finds the lead only if delivered in order)
CONSUMERS = ("lead-state", EffectRecorder.name)
REGISTERED, SAMPLE = "com.freshplan.lead.registered.v1", "com.freshplan.lead.sample_delivered.v1"


def lead_events(i: int) -> list[CloudEvent]:
    email, subject = f"lead{i}@crash.example", f"crm-{i}"
    return [CloudEvent(id=f"reg-{i}", source="/crm/crash", type=REGISTERED, subject=subject, idempotencykey=f"reg-{i}",
                       data={"company": f"Kantine {i}", "business_type": "CANTEEN", "email": email,
                             "registered_at": "2026-11-27T09:00:00Z"}),
            CloudEvent(id=f"sample-{i}", source="/crm/crash", type=SAMPLE, subject=subject,
                       idempotencykey=f"sample-{i}",
                       data={"email": email, "delivered_at": "2026-11-28T10:00:00Z"})]


def all_events() -> list[CloudEvent]:
    return [e for i in range(LEADS) for e in lead_events(i)]


class Worker:
    """One relay process; `kill()` is SIGKILL, as an OOM killer or a pulled plug would do it."""

    def __init__(self, url: str, control: Path, *options: str):
        control.mkdir(exist_ok=True)
        for flag in control.iterdir():
            flag.unlink()
        self.control = control
        self.process = subprocess.Popen([sys.executable, "-m", "tests.integration.relay_worker", url, str(control),
                                         *options], cwd=ROOT)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class RelayCrashContract:
    """Subclasses provide `database_url`."""

    @pytest.fixture
    def uow(self, database_url):
        engine = make_engine(database_url)
        upgrade(engine)
        EFFECTS.create(engine)
        yield SqlAlchemyUnitOfWork(make_session_factory(engine))
        engine.dispose()

    @pytest.fixture
    def workers(self, database_url, tmp_path):
        started: list[Worker] = []

        def start(*options: str) -> Worker:
            started.append(Worker(database_url, tmp_path / "control", *options))
            return started[-1]

        yield start
        for worker in started:
            worker.stop()

    def commit(self, uow, events: list[CloudEvent]) -> None:
        assert set(ingest_events(uow, events)) == {Outcome.CREATED}

    def count(self, uow, stmt) -> int:
        with uow(write=False) as tx:
            return tx.session.scalar(stmt)

    def undelivered(self, uow) -> int:
        return self.count(uow, select(func.count()).select_from(EventRecord).where(EventRecord.delivered_at.is_(None)))

    def effects_of(self, uow, event_id: str) -> int:
        return self.count(uow, select(func.count()).select_from(EFFECTS).where(EFFECTS.c.event_id == event_id))

    def inbox_of(self, uow, event_id: str) -> set[str]:
        with uow(write=False) as tx:
            return set(tx.session.scalars(select(InboxEntry.consumer).where(InboxEntry.event_id == event_id)))

    def delivered(self, uow, event_id: str) -> bool:
        with uow(write=False) as tx:
            return tx.session.scalar(select(EventRecord.delivered_at).where(EventRecord.id == event_id)) is not None

    def assert_every_event_applied_exactly_once(self, uow, events: list[CloudEvent]) -> None:
        assert wait_for(lambda: self.undelivered(uow) == 0), f"{self.undelivered(uow)} events never delivered"
        with uow(write=False) as tx:
            s = tx.session
            inbox = s.execute(select(InboxEntry.consumer, func.count()).group_by(InboxEntry.consumer)).all()
            assert dict(inbox) == {name: len(events) for name in CONSUMERS}
            per_event = dict(s.execute(select(EFFECTS.c.event_id, func.count()).group_by(EFFECTS.c.event_id)).all())
            assert per_event == {e.id: 1 for e in events}, "an event was applied twice or never"
            leads = s.execute(select(Lead.email, func.count(), func.max(Lead.sample_delivered_at))
                              .where(Lead.email.like("%@crash.example")).group_by(Lead.email)).all()
            assert len(leads) == LEADS and all(n == 1 for _, n, _ in leads), "a lead was registered twice or never"
            assert all(sample is not None for _, _, sample in leads), "a sample overtook its registration"
            order = s.execute(select(EFFECTS.c.subject, EFFECTS.c.event_id).order_by(EFFECTS.c.n)).all()
        first_seen = {}
        for subject, event_id in order:
            first_seen.setdefault(subject, event_id)
        assert all(event_id.startswith("reg-") for event_id in first_seen.values()), "per-subject order broken"

    def test_killed_in_the_middle_of_a_batch(self, uow, workers):
        events = all_events()
        self.commit(uow, events[:30])
        stuck = events[25]
        worker = workers("--block-on", stuck.id)
        assert wait_for(lambda: (worker.control / "blocked").exists()), "the relay never reached the event"
        worker.kill()
        # Killed inside the batch of events 20-29: the lead-state consumer had applied some of it, but
        # nothing of the batch committed; the batches before it are applied and marked.
        assert self.inbox_of(uow, stuck.id) == set() and self.effects_of(uow, stuck.id) == 0
        assert self.inbox_of(uow, events[20].id) == set() and not self.delivered(uow, events[20].id)
        assert self.inbox_of(uow, events[19].id) == set(CONSUMERS) and self.delivered(uow, events[19].id)
        self.commit(uow, events[30:])  # committed while no relay runs
        workers()
        self.assert_every_event_applied_exactly_once(uow, events)

    def test_killed_right_after_a_batch_committed(self, uow, workers):
        events = all_events()
        self.commit(uow, events)
        last_applied = events[34]
        worker = workers("--die-after", last_applied.id)
        assert worker.process.wait(timeout=20) == -signal.SIGKILL
        # Effects, inbox entries and the delivered mark committed together; the next batch never began.
        assert self.inbox_of(uow, last_applied.id) == set(CONSUMERS) and self.effects_of(uow, last_applied.id) == 1
        assert self.delivered(uow, last_applied.id) and not self.delivered(uow, events[40].id)
        workers()
        self.assert_every_event_applied_exactly_once(uow, events)

    def test_killed_twice_in_a_row_and_restarted(self, uow, workers):
        events = all_events()
        self.commit(uow, events)
        assert workers("--die-after", events[5].id).process.wait(timeout=20) == -signal.SIGKILL
        assert workers("--die-after", events[40].id).process.wait(timeout=20) == -signal.SIGKILL
        workers()
        self.assert_every_event_applied_exactly_once(uow, events)


class TestSqlite(RelayCrashContract):
    @pytest.fixture
    def database_url(self, tmp_path):
        return f"sqlite:///{tmp_path / 'crash.db'}"


@pytest.mark.postgres
class TestPostgres(RelayCrashContract):
    @pytest.fixture
    def database_url(self, pg_url):
        return pg_url
