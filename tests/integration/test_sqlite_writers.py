"""SQLite under every writer at once: event ingest from several clients, the relay and its consumers,
the analytics projection, the mail dispatcher, the follow-up run and the demo simulator. No writer
fails with "database is locked", no request is refused as busy, and every posted event is applied."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from data.duckdb_replica import read_position
from data.models import EventRecord, Lead
from services.followups import run_due_followups
from tests.conftest import LiveServer, make_settings, shutdown, wait_for

AUTH = {"Authorization": "Bearer test-token"}
CLIENTS, BATCHES, BATCH = 3, 6, 200
SINGLES = 60


def registered(domain: str) -> dict:
    key = uuid.uuid4().hex
    return {"specversion": "1.0", "id": key, "source": "/crm/writers", "type": "com.freshplan.lead.registered.v1",
            "subject": f"crm-{key}", "data": {"company": "Kantine Gleichzeitig", "business_type": "CANTEEN",
                                              "registered_at": "2026-11-27T09:00:00Z", "owner": "sales",
                                              "email": f"{key}@{domain}", "email_consent": True}}


class Failures(logging.Handler):
    """Every warning or error any worker logs while the load runs."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def served(tmp_path):
    from app import create_app

    app = create_app(make_settings(tmp_path, demo_leads=200, scheduler_enabled=True, demo_simulator=True,
                                   demo_simulator_interval_s=1))
    live = LiveServer(app)
    yield live, app
    live.close()
    shutdown(app)


def post_batches(url: str, domain: str) -> list[int]:
    with requests.Session() as http:
        return [http.post(f"{url}/api/events", data=json.dumps([registered(domain) for _ in range(BATCH)]),
                          headers={**AUTH, "Content-Type": "application/cloudevents-batch+json"}).status_code
                for _ in range(BATCHES)]


def post_singles(url: str, domain: str) -> list[int]:
    with requests.Session() as http:
        return [http.post(f"{url}/api/events", data=json.dumps(registered(domain)),
                          headers={**AUTH, "Content-Type": "application/cloudevents+json"}).status_code
                for _ in range(SINGLES)]


def run_followups(app, stop: threading.Event) -> None:
    deps = app.extensions["cockpit"]
    while not stop.is_set():
        run_due_followups(deps.uow, deps.followups, deps.clock)


def test_every_writer_at_once_and_nothing_is_locked_out(served):
    live, app = served
    deps, domain = app.extensions["cockpit"], f"{uuid.uuid4().hex[:8]}.writers.example"
    failures = Failures()
    logging.getLogger().addHandler(failures)
    stop = threading.Event()
    followups = threading.Thread(target=run_followups, args=(app, stop), daemon=True)
    try:
        followups.start()
        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            answers = [pool.submit(post_batches, live.url, domain) for _ in range(CLIENTS)]
            answers.append(pool.submit(post_singles, live.url, domain))
            statuses = [status for answer in answers for status in answer.result()]
        expected = CLIENTS * BATCHES * BATCH + SINGLES

        def applied() -> bool:
            with deps.uow(write=False) as tx:
                leads = tx.session.scalar(select(func.count()).select_from(Lead).where(Lead.email.like(f"%@{domain}")))
                # Ours only: the simulator and the follow-up runs keep logging events of their own.
                ours = EventRecord.source == "/crm/writers"
                waiting = tx.session.scalar(select(func.count()).select_from(EventRecord)
                                            .where(ours, EventRecord.delivered_at.is_(None)))
                last = tx.session.scalar(select(func.max(EventRecord.seq)).where(ours))
            return leads == expected and waiting == 0 and read_position(deps.warehouse.cursor()) >= last

        assert set(statuses) == {202}, f"refused posts: {sorted(set(statuses))}"
        assert wait_for(applied, timeout=120, every=0.2), "posted events were not all applied end to end"
    finally:
        stop.set()
        followups.join(timeout=30)
        logging.getLogger().removeHandler(failures)
    troubles = [f"{r.name}: {r.getMessage()}" for r in failures.records if "locked" in r.getMessage()
                or r.levelno >= logging.ERROR]
    assert troubles == []
