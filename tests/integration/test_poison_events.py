"""One event a consumer cannot apply never stalls delivery: it is retried with backoff, then parked for
that consumer; that consumer's later events of the same subject wait behind it; every other consumer
and subject flows on. One contract, run on SQLite and on PostgreSQL."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.held_event_models import HeldEvent
from data.migrate import upgrade
from data.models import EventRecord, InboxEntry
from data.uow import SqlAlchemyUnitOfWork
from domain.cloudevents import CloudEvent
from pipelines.relay import Relay
from services.ingest import Outcome, ingest_events

NOTE = "com.freshplan.followup.replied.v1"  # any external type: these consumers only record what they see


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Recorder:
    """A consumer that notes the ids it applied, in order; it raises on the ids in `poison`."""

    def __init__(self, name: str, poison: set[str] = frozenset()):
        self.name, self.poison, self.applied = name, set(poison), []

    def wants(self, event: CloudEvent) -> bool:
        return event.source == "/crm/poison"

    def apply(self, tx, event: CloudEvent) -> None:
        if event.id in self.poison:
            raise ValueError(f"cannot apply {event.id}")
        self.applied.append(event.id)


def event(event_id: str, subject: str | None) -> CloudEvent:
    return CloudEvent(id=event_id, source="/crm/poison", type=NOTE, subject=subject, idempotencykey=event_id,
                      data={"replied_at": "2026-11-30T08:00:00Z", "email": "x@poison.example"})


class PoisonContract:
    @pytest.fixture
    def uow(self, database_url):
        engine = make_engine(database_url)
        upgrade(engine)
        yield SqlAlchemyUnitOfWork(make_session_factory(engine))
        engine.dispose()

    @pytest.fixture
    def setup(self, uow):
        clock, picky, easy = Clock(), Recorder("picky", {"a1"}), Recorder("easy")
        relay = Relay(uow, [picky, easy], clock=clock, batch=3, max_attempts=3)
        events = [event("a1", "lead/a"), event("b1", "lead/b"), event("a2", "lead/a"), event("n1", None),
                  event("b2", "lead/b"), event("a3", "lead/a")]
        assert set(ingest_events(uow, events, clock=clock)) == {Outcome.CREATED}
        return relay, clock, picky, easy

    def drain(self, relay: Relay) -> None:
        while relay.run_once() or relay.held.run_once():
            pass

    def parked_after_every_retry(self, relay: Relay, clock: Clock) -> None:
        """Deliver, then let every backoff pass: a1 (max_attempts 3) ends parked."""
        self.drain(relay)
        for _ in range(2):
            clock.advance(600)
            self.drain(relay)

    def held(self, uow) -> dict[str, tuple]:
        with uow(write=False) as tx:
            rows = tx.session.execute(select(EventRecord.id, HeldEvent.attempts, HeldEvent.parked_at,
                                             HeldEvent.discarded_at, HeldEvent.last_error)
                                      .join(EventRecord, EventRecord.seq == HeldEvent.event_seq)).all()
        return {r.id: (r.attempts, r.parked_at is not None, r.discarded_at is not None, r.last_error) for r in rows}

    def undelivered(self, uow) -> int:
        with uow(write=False) as tx:
            return tx.session.scalar(select(func.count()).select_from(EventRecord)
                                     .where(EventRecord.delivered_at.is_(None)))

    def test_a_failing_event_holds_only_its_subject_for_its_consumer(self, uow, setup):
        relay, clock, picky, easy = setup
        self.drain(relay)
        assert easy.applied == ["a1", "b1", "a2", "n1", "b2", "a3"], "the other consumer got every event, in order"
        assert picky.applied == ["b1", "n1", "b2"], "other subjects and subject-less events flow on"
        held = self.held(uow)
        assert set(held) == {"a1", "a2", "a3"}
        assert held["a1"][0] == 1 and "ValueError: cannot apply a1" in held["a1"][3]
        assert held["a2"][0] == 0 and held["a3"][0] == 0, "later events of the subject wait behind it"
        assert self.undelivered(uow) == 0, "the log is not stalled: every event is marked delivered"

    def test_retried_with_backoff_then_parked_with_a_log_line(self, uow, setup, caplog):
        relay, clock, picky, _ = setup
        self.drain(relay)
        assert relay.held.run_once() == 0 and self.held(uow)["a1"][0] == 1, "not retried before its backoff"
        with caplog.at_level(logging.ERROR, logger="pipelines.held_retry"):
            for _ in range(2):
                clock.advance(600)
                self.drain(relay)
        attempts, parked, _, reason = self.held(uow)["a1"]
        assert (attempts, parked) == (3, True) and "cannot apply a1" in reason
        assert any("parked for consumer picky after 3 attempts" in r.getMessage() for r in caplog.records)
        clock.advance(3600)
        self.drain(relay)
        assert self.held(uow)["a1"][0] == 3, "a parked event waits for an operator, it is not tried again"
        with uow(write=False) as tx:
            assert tx.held_events.counts() == {"picky": (1, 3)}
            assert [(p.id, p.waiting_behind) for p in tx.held_events.parked()] == [("a1", 2)]

    def test_an_operator_retry_applies_it_and_then_the_events_behind_it_in_order(self, uow, setup):
        relay, clock, picky, _ = setup
        self.parked_after_every_retry(relay, clock)
        picky.poison.clear()  # the cause was fixed
        with uow() as tx:
            seq = tx.held_events.parked()[0].seq
            assert tx.held_events.retry("picky", seq, clock())
            tx.commit()
        self.drain(relay)
        assert picky.applied == ["b1", "n1", "b2", "a1", "a2", "a3"]
        assert self.held(uow) == {}
        with uow(write=False) as tx:
            assert tx.session.scalar(select(func.count()).select_from(InboxEntry)
                                     .where(InboxEntry.consumer == "picky")) == 6

    def test_a_discarded_event_lets_the_subject_flow_without_it(self, uow, setup):
        relay, clock, picky, _ = setup
        self.parked_after_every_retry(relay, clock)
        with uow() as tx:
            assert tx.held_events.discard("picky", tx.held_events.parked()[0].seq, clock(), "admin")
            tx.commit()
        self.drain(relay)
        assert picky.applied == ["b1", "n1", "b2", "a2", "a3"]
        assert {k: v[2] for k, v in self.held(uow).items()} == {"a1": True}, "the discard stays on record"


class TestSqlite(PoisonContract):
    @pytest.fixture
    def database_url(self, tmp_path):
        return f"sqlite:///{tmp_path / 'poison.db'}"


@pytest.mark.postgres
class TestPostgres(PoisonContract):
    @pytest.fixture
    def database_url(self, pg_url):
        return pg_url
