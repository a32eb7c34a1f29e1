"""Replies by mail over POST /webhooks/inbound (SendGrid Inbound Parse) against the served app: a
positive reply converts a ready lead once however often the provider repeats the webhook; an unknown
sender, a missing or wrong secret and a malformed body are answered without changing anything."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from data.models import Activity, Customer, EmailMessage, EventRecord, Lead, User
from tests.conftest import serving_demo_app, wait_for

SECRET = "inbound-secret-0123"
POSITIVE = "Guten Tag,\n\ndie Musterbox war hervorragend. Bitte schicken Sie uns ein Angebot, wir möchten bestellen.\n"
QUOTED = "\n\nAm 3. März 2026 um 10:00 schrieb FreshPlan <noreply@localhost>:\n> Wie war der Produkttest?\n> Bitte antworten\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("inbound"), demo_leads=20, inbound_webhook_secret=SECRET) as served:
        yield served


@pytest.fixture(scope="module")
def url(served):
    return served[0].url


@pytest.fixture(scope="module")
def db(served):
    return served[1].extensions["cockpit"].uow.session_factory


def ready_lead(db, email: str) -> int:
    """A lead that converts on a positive answer (as in test_conversion)."""
    now, tag = datetime.now(timezone.utc), uuid.uuid4().hex[:8]
    with db() as s:
        owner = s.scalar(select(User).where(User.username == "sales"))
        lead = Lead(company=f"Hotel Seeblick {tag}", contact_name="Jonas Keller", email=email, business_type="HOTEL",
                    city="Konstanz", vat_id=f"DE{tag}", owner_id=owner.id, team_id=owner.team_id, email_consent=True,
                    score=85, estimated_volume=2000, status="ACTIVE", registered_at=now - timedelta(days=10), updated_at=now)
        s.add(lead)
        s.flush()
        s.add(Activity(lead_id=lead.id, type="CALL", occurred_at=now - timedelta(days=2), details={}))
        s.commit()
        return lead.id


def parse_form(sender: str, text: str = POSITIVE, message_id: str | None = None) -> dict:
    """The fields Inbound Parse posts (multipart/form-data)."""
    headers = f"Message-ID: {message_id or f'<{uuid.uuid4().hex}@mail.example>'}\nDate: Tue, 03 Mar 2026 11:00:00 +0100\n"
    return {"from": f"Jonas Keller <{sender}>", "to": "sales@freshplan.example", "subject": "Re: Wie war der Produkttest?",
            "text": text, "headers": headers, "envelope": '{"to":["sales@freshplan.example"]}', "charsets": "{}"}


def post(url: str, fields: dict, secret: str | None = SECRET, **kwargs) -> requests.Response:
    params = {"secret": secret} if secret is not None else {}
    files = {k: (None, v) for k, v in fields.items()}  # multipart/form-data, as SendGrid sends it
    return requests.post(f"{url}/webhooks/inbound", params=params, files=files, timeout=30, **kwargs)


def count(db, model, *where) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_positive_reply_converts_a_ready_lead_once_however_often_the_webhook_repeats(url, db):
    tag = uuid.uuid4().hex[:8]
    older = ready_lead(db, f"jonas.{tag}@seeblick.example")
    lead_id = ready_lead(db, f"jonas.{tag}@seeblick.example")  # the most recent lead with the address answers
    fields = parse_form(f"Jonas.{tag.upper()}@Seeblick.example", POSITIVE + QUOTED)
    first = post(url, fields)
    assert first.status_code == 200 and first.json()["result"] == "applied" and first.json()["lead_id"] == lead_id
    repeats = [post(url, fields) for _ in range(3)]
    assert [(r.status_code, r.json()["result"]) for r in repeats] == [(200, "duplicate")] * 3
    assert wait_for(lambda: count(db, Customer, Customer.original_lead_id == lead_id) == 1), "the lead was not converted"
    time.sleep(0.5)  # anything still in flight would show up now
    assert count(db, Customer, Customer.original_lead_id == lead_id) == 1
    assert count(db, Customer, Customer.original_lead_id == older) == 0
    assert count(db, EventRecord, EventRecord.type == "com.freshplan.followup.replied.v1",
                 EventRecord.subject == f"lead/{lead_id}") == 1
    assert count(db, EmailMessage, EmailMessage.idempotency_key == f"welcome:lead:{lead_id}") == 1
    with db() as s:
        [reply] = s.scalars(select(Activity).where(Activity.lead_id == lead_id, Activity.type == "REPLY")).all()
        assert s.get(Lead, lead_id).status == "CONVERTED"
    assert reply.outcome == "POSITIVE" and "Musterbox" in reply.details["text"]
    assert "Produkttest" not in reply.details["text"]  # the quoted follow-up is not the lead's answer
    assert reply.occurred_at.astimezone(timezone.utc) == datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc)


def test_a_sender_without_a_lead_is_acknowledged_and_changes_nothing(url, db):
    before = count(db, EventRecord)
    r = post(url, parse_form(f"nobody.{uuid.uuid4().hex[:8]}@elsewhere.example"))
    assert r.status_code == 200 and r.json()["result"] == "unknown sender"
    assert count(db, EventRecord) == before


@pytest.mark.parametrize("secret, status", [(None, 401), ("wrong-secret", 403)])
def test_a_missing_or_wrong_secret_is_refused(url, db, secret, status):
    email = f"anna.{uuid.uuid4().hex[:8]}@linde.example"
    lead_id = ready_lead(db, email)
    r = post(url, parse_form(email), secret=secret)
    assert r.status_code == status and r.headers["Content-Type"].startswith("application/problem+json")
    assert count(db, Activity, Activity.lead_id == lead_id, Activity.type == "REPLY") == 0


def test_the_secret_may_come_as_a_header(url, db):
    email = f"anna.{uuid.uuid4().hex[:8]}@linde.example"
    lead_id = ready_lead(db, email)
    r = post(url, parse_form(email, "Danke, wir melden uns nächste Woche."), secret=None, headers={"X-Webhook-Secret": SECRET})
    assert r.status_code == 200 and r.json() == {"result": "applied", "lead_id": lead_id, "event_id": r.json()["event_id"]}


@pytest.mark.parametrize("body, why", [
    ({"data": '{"from": "a@b.example"}', "headers": {"Content-Type": "application/json"}}, "expected a form"),
    ({"files": {"from": (None, "Jonas Keller"), "text": (None, "Ja gerne")}}, "from names no email address"),
    ({"files": {"from": (None, "jonas@seeblick.example"), "text": (None, "  ")}}, "neither text nor html"),
])
def test_a_malformed_body_is_refused_with_a_problem(url, db, body, why):
    before = count(db, EventRecord)
    r = requests.post(f"{url}/webhooks/inbound", params={"secret": SECRET}, timeout=30, **body)
    assert r.status_code == 400 and why in r.json()["detail"]
    assert count(db, EventRecord) == before
