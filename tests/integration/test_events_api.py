"""POST /api/events and GET /api/events over HTTP, on SQLite and on PostgreSQL (one contract)."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from jsonschema import Draft7Validator
from sqlalchemy import func, select, text

from data.models import EventRecord, InboxEntry, Lead
from tests.conftest import fresh_pg_database, serving_demo_app, wait_for

AUTH = {"Authorization": "Bearer test-token"}
STRUCTURED = {**AUTH, "Content-Type": "application/cloudevents+json"}
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "cloudevents-1.0.2.schema.json"


def registered(event_id: str, company: str = "Gasthaus Zum Test") -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "/crm/test", "type": "com.freshplan.lead.registered.v1",
            "time": "2026-11-27T09:00:00Z", "subject": f"crm-{event_id}",
            "data": {"company": company, "business_type": "HOTEL", "registered_at": "2026-11-27T09:00:00Z",
                     "email": f"{event_id}@hotel.example", "owner": "sales", "email_consent": True}}


def post(url, body, headers=STRUCTURED, raw=None):
    return requests.post(f"{url}/api/events", data=raw if raw is not None else json.dumps(body), headers=headers)


class EventsApiContract:
    """Subclasses provide a module-scoped `server` fixture: (LiveServer, app)."""

    @pytest.fixture
    def url(self, server):
        return server[0].url

    @pytest.fixture
    def db(self, server):
        return server[1].extensions["cockpit"].uow.session_factory

    def test_new_duplicate_and_conflicting_events(self, url):
        event = registered(uuid.uuid4().hex)
        assert post(url, event).status_code == 202
        again = post(url, event)
        assert again.status_code == 200 and again.json()["result"] == "duplicate"
        changed = post(url, {**event, "data": {**event["data"], "company": "Other"}})
        assert changed.status_code == 409 and changed.json()["title"] == "Conflict"

    @pytest.mark.parametrize("change,attribute", [
        (lambda e: e.pop("source"), "source"), (lambda e: e.update(specversion="0.3"), "specversion"),
        (lambda e: e.update(type="com.example.unknown.v1"), "type"),
        (lambda e: e.update(type="com.freshplan.followup.sent.v1"), "type"),
        (lambda e: e["data"].pop("company"), "data"), (lambda e: e["data"].update(business_type="SHIP"), "data.business_type"),
        (lambda e: e.update(data_base64="AAAA"), "data_base64"), (lambda e: e.update(time="yesterday"), "time"),
        (lambda e: e.update(**{"Bad-Name": "x"}), "Bad-Name"),
    ])
    def test_invalid_events_get_400_naming_the_attribute(self, url, change, attribute):
        event = registered(uuid.uuid4().hex)
        change(event)
        r = post(url, event)
        assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json"
        assert r.json()["attribute"] == attribute

    def test_binary_mode_and_an_undecodable_header(self, url):
        event = registered(uuid.uuid4().hex)
        headers = {**AUTH, "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": event["id"],
                   "ce-source": "/crm/test", "ce-type": event["type"], "ce-subject": "K%C3%B6ln"}
        assert post(url, None, headers, raw=json.dumps(event["data"])).status_code == 202
        bad = post(url, None, {**headers, "ce-id": "x", "ce-subject": "%E0%A4%A"}, raw=json.dumps(event["data"]))
        assert bad.status_code == 400 and bad.json()["attribute"].lower() == "ce-subject"

    def test_batches_other_formats_tokens_and_size(self, url):
        batch = [registered(uuid.uuid4().hex), registered(uuid.uuid4().hex)]
        r = post(url, batch, {**AUTH, "Content-Type": "application/cloudevents-batch+json"})
        assert r.status_code == 202 and [x["result"] for x in r.json()["results"]] == ["created", "created"]
        assert post(url, None, {**AUTH, "Content-Type": "text/xml"}, raw="<e/>").status_code == 415
        assert post(url, registered("x"), {"Content-Type": "application/cloudevents+json"}).status_code == 401
        assert post(url, registered("x"), {**STRUCTURED, "Authorization": "Bearer wrong"}).status_code == 401
        assert post(url, None, raw=b"{" + b" " * (1024 * 1024 + 1) + b"}").status_code == 413
        assert post(url, None, raw=b"{not json").status_code == 400

    def test_a_registered_lead_appears_and_the_log_serves_valid_cloudevents(self, url, db):
        event = registered(uuid.uuid4().hex, company="Hotel Ereignis")
        assert post(url, event).status_code == 202
        with_email = select(Lead).where(Lead.email == event["data"]["email"])
        assert wait_for(lambda: db().scalar(with_email) is not None), "the lead-state consumer did not apply the event"
        logged = requests.get(f"{url}/api/events", params={"subject": event["subject"]}, headers=AUTH).json()
        assert len(logged) == 1 and logged[0]["idempotencykey"]
        if OFFICIAL.exists():
            Draft7Validator(json.loads(OFFICIAL.read_text())).validate(logged[0])
        assert requests.get(f"{url}/api/events").status_code == 401

    @pytest.mark.timeout(1800)  # 500 requests: seconds on a quiet machine, many minutes on a contended one
    def test_500_concurrent_posts_of_one_event_log_it_once_with_one_effect(self, url, db):
        event = registered(uuid.uuid4().hex, company="Kantine Gleichzeitig")
        with ThreadPoolExecutor(max_workers=16) as pool:
            codes = list(pool.map(lambda _: post(url, event).status_code, range(500)))
        assert set(codes) <= {200, 202} and codes.count(202) == 1
        with db() as s:
            assert s.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.id == event["id"])) == 1
        email = event["data"]["email"]
        assert wait_for(lambda: db().scalar(select(func.count()).select_from(InboxEntry).where(
            InboxEntry.event_id == event["id"])) == 1)
        with db() as s:
            assert s.scalar(select(func.count()).select_from(Lead).where(Lead.email == email)) == 1
        # A repeat is recognised without the write lock: it answers 200 at once while another writer
        # holds the log (on a slow disk, queueing repeats for the lock ran into the busy timeout: 500s).
        with db() as writer:
            if writer.get_bind().dialect.name == "sqlite":
                writer.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            else:
                writer.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
            with ThreadPoolExecutor(max_workers=16) as pool:
                repeats = list(pool.map(lambda _: requests.post(f"{url}/api/events", data=json.dumps(event),
                                                                headers=STRUCTURED, timeout=5).status_code, range(50)))
        assert repeats == [200] * 50


class TestSqlite(EventsApiContract):
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, tmp_path_factory):
        with serving_demo_app(tmp_path_factory.mktemp("events"), demo_leads=20) as served:
            yield served


@pytest.mark.postgres
class TestPostgres(EventsApiContract):
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, tmp_path_factory):
        with fresh_pg_database() as url, \
                serving_demo_app(tmp_path_factory.mktemp("events-pg"), demo_leads=20, database_url=url) as served:
            yield served
