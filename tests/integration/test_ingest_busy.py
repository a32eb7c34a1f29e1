"""POST /api/events while another writer holds SQLite's write lock: a repeat still answers 200 (it is
recognised without the lock); a new event gets 503 with Retry-After, never a 500, and nothing is lost."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from data.db import writer_queue
from data.models import EventRecord
from tests.conftest import make_settings, shutdown

HEADERS = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}
SHORT_BUSY_TIMEOUT_MS = 300  # the real 10 s would make this test slow; the path is the same


def registered(event_id: str) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "/crm/busy", "type": "com.freshplan.lead.registered.v1",
            "data": {"company": "Gasthof Gesperrt", "business_type": "RESTAURANT",
                     "registered_at": "2026-11-27T09:00:00Z"}}


@pytest.fixture
def app(tmp_path):
    from app import create_app

    server = create_app(make_settings(tmp_path, demo_leads=20, relay_enabled=False))
    engine = server.extensions["cockpit"].engine

    @sa_event.listens_for(engine, "connect")
    def _short_timeout(dbapi_connection, _record):  # runs after the engine's own PRAGMAs
        dbapi_connection.execute(f"PRAGMA busy_timeout={SHORT_BUSY_TIMEOUT_MS}")

    engine.dispose()  # pooled connections keep the old timeout
    writer_queue(engine).timeout_s = SHORT_BUSY_TIMEOUT_MS / 1000  # this process's writers queue there first
    yield server
    shutdown(server)


def count(app, event_id: str) -> int:
    with app.extensions["cockpit"].uow(write=False) as tx:
        return tx.session.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.id == event_id))


def test_a_held_write_lock_gives_503_for_new_events_and_200_for_repeats(app):
    client = app.test_client()
    known, new = registered(uuid.uuid4().hex), registered(uuid.uuid4().hex)
    assert client.post("/api/events", data=json.dumps(known), headers=HEADERS).status_code == 202
    with app.extensions["cockpit"].uow() as writer:  # BEGIN IMMEDIATE: holds the write lock
        assert client.post("/api/events", data=json.dumps(known), headers=HEADERS).status_code == 200
        busy = client.post("/api/events", data=json.dumps(new), headers=HEADERS)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert busy.mimetype == "application/problem+json" and busy.get_json()["status"] == 503
        writer.rollback()
    assert count(app, new["id"]) == 0
    assert client.post("/api/events", data=json.dumps(new), headers=HEADERS).status_code == 202  # the retry
    assert count(app, new["id"]) == 1
