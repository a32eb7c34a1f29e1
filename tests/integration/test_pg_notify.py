"""PostgreSQL LISTEN/NOTIFY: a commit in another process wakes this process's relay at once, and the
listener outlives a dropped connection."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy import select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import Lead
from data.uow import SqlAlchemyUnitOfWork
from domain.cloudevents import CloudEvent
from pipelines.consumers.lead_state import LeadStateConsumer
from pipelines.pg_notify import PgEventListener, conninfo_of, listen_for_events
from pipelines.relay import Relay
from services.ingest import Outcome, ingest_events
from services.outbox import to_record
from tests.conftest import wait_for

pytestmark = pytest.mark.postgres


def registered(key: str) -> CloudEvent:
    return CloudEvent(id=key, source="/crm/notify", type="com.freshplan.lead.registered.v1", subject=key,
                      idempotencykey=key, data={"company": f"Hotel {key}", "business_type": "HOTEL",
                                                "email": f"{key}@notify.example",
                                                "registered_at": "2026-11-27T09:00:00Z"})


@pytest.fixture
def engines(pg_url):
    """Two engines on one database: this process's, and one standing in for another process
    (its unit of work has no in-process listeners, so only a NOTIFY can carry its commits over)."""
    here, there = make_engine(pg_url), make_engine(pg_url)
    upgrade(here)
    yield here, there
    here.dispose()
    there.dispose()


def uow_of(engine) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(make_session_factory(engine))


def lead_exists(uow, key: str) -> bool:
    with uow(write=False) as tx:
        return tx.session.scalar(select(Lead.id).where(Lead.email == f"{key}@notify.example")) is not None


def test_a_commit_elsewhere_wakes_the_relay_in_well_under_a_second(engines):
    here, there = engines
    uow, other = uow_of(here), uow_of(there)
    assert ingest_events(other, [registered("warm-up")]) == [Outcome.CREATED]
    relay = Relay(uow, consumers=[LeadStateConsumer()], poll_seconds=30).start()
    try:
        # Once its first pass applied the warm-up event, only a wake-up or the 30 s poll moves the relay.
        assert wait_for(lambda: lead_exists(uow, "warm-up"), 10.0)
        assert ingest_events(other, [registered("before")]) == [Outcome.CREATED]
        assert not wait_for(lambda: lead_exists(uow, "before"), 1.0), "the relay woke without a notification"
        listener = listen_for_events(here, relay.wake)
        assert listener.wait_connected(5)
        assert wait_for(lambda: lead_exists(uow, "before"), 1.0), "no catch-up after connecting"
        for key in ("first", "second", "third"):
            started = time.monotonic()
            assert ingest_events(other, [registered(key)]) == [Outcome.CREATED]
            assert wait_for(lambda: lead_exists(uow, key), 1.0), f"{key}: not applied within 1 s"
            assert time.monotonic() - started < 1.0
    finally:
        relay.stop()
    here.dispose()
    assert not listener.running, "disposing the engine stops its listener"


def test_the_listener_survives_its_connection_being_terminated(engines):
    here, there = engines
    heard = threading.Semaphore(0)
    listener = PgEventListener(conninfo_of(here))
    listener.subscribe(heard.release)
    listener.start()
    try:
        assert listener.wait_connected(5) and heard.acquire(timeout=1)  # the catch-up call on connect
        for round_ in range(2):
            pid = listener.backend_pid
            with psycopg.connect(conninfo_of(here), autocommit=True) as admin:
                assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
            assert wait_for(lambda: listener.backend_pid != pid and listener.wait_connected(0), 5.0), \
                "never reconnected"
            assert heard.acquire(timeout=1)  # catch-up after the reconnect
            assert ingest_events(uow_of(there), [registered(f"after-{round_}")]) == [Outcome.CREATED]
            assert heard.acquire(timeout=1.0), "a commit after the reconnect was not heard"
    finally:
        listener.stop()


def test_a_rolled_back_write_notifies_nobody(engines):
    here, there = engines
    heard = threading.Semaphore(0)
    listener = PgEventListener(conninfo_of(here))
    listener.subscribe(heard.release)
    listener.start()
    try:
        assert listener.wait_connected(5) and heard.acquire(timeout=1)
        with uow_of(there)() as tx:
            tx.events.add(to_record(registered("rolled-back"), datetime.now(timezone.utc)))
            tx.rollback()
        assert not heard.acquire(timeout=0.5)
    finally:
        listener.stop()


def test_the_app_on_postgresql_hears_other_processes(pg_url, tmp_path):
    from app import create_app
    from tests.conftest import make_settings, shutdown

    app = create_app(make_settings(tmp_path, database_url=pg_url, demo_leads=20))
    deps, relay = app.extensions["cockpit"], app.extensions["relay"]
    relay.poll_seconds = 30
    try:
        assert app.extensions["pg_listener"].wait_connected(5)
        time.sleep(1.2)  # the relay's current 1 s wait is over: from now on it polls every 30 s
        other = make_engine(pg_url)
        for key in ("app-first", "app-second"):
            assert ingest_events(uow_of(other), [registered(key)]) == [Outcome.CREATED]
            assert wait_for(lambda: lead_exists(deps.uow, key), 1.0), f"{key}: not applied within 1 s"
        other.dispose()
    finally:
        shutdown(app)
    assert not app.extensions["pg_listener"].running
