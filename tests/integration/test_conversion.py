"""Replies turning leads into customers, over HTTP (POST /api/events) against a live app, on SQLite and
on PostgreSQL: exactly once under concurrent redelivery, rejections with their reason, duplicates,
the welcome mail through the email core, and unsubscribe replies."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from data.conversion_models import ConversionDecision, ReplyReview
from data.models import Activity, Customer, EmailMessage, EventRecord, Lead, Suppression, User
from tests.conftest import fresh_pg_database, serving_demo_app, wait_for

STRUCTURED = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}
POSITIVE = "Hallo, die Musterbox hat uns sehr gut geschmeckt. Schicken Sie uns bitte ein Angebot, wir möchten bestellen."


def replied(lead_id: int, text: str, event_id: str | None = None) -> dict:
    return {"specversion": "1.0", "id": event_id or uuid.uuid4().hex, "source": "/mailbox/inbound",
            "type": "com.freshplan.followup.replied.v1", "subject": f"lead/{lead_id}",
            "data": {"lead_id": lead_id, "replied_at": datetime.now(timezone.utc).isoformat(), "text": text}}


def post(url: str, event: dict) -> int:
    return requests.post(f"{url}/api/events", data=json.dumps(event), headers=STRUCTURED, timeout=30).status_code


class ConversionContract:
    """Subclasses provide a class-scoped `server` fixture: (LiveServer, app)."""

    @pytest.fixture
    def url(self, server):
        return server[0].url

    @pytest.fixture
    def db(self, server):
        return server[1].extensions["cockpit"].uow.session_factory

    @pytest.fixture
    def make_lead(self, server):
        """A lead that is ready to convert unless `changes` say otherwise; returns its id."""
        return lambda **changes: self._make_lead(server[1].extensions["cockpit"].uow, **changes)

    @staticmethod
    def _make_lead(uow, **changes) -> int:
        now = datetime.now(timezone.utc)
        tag = uuid.uuid4().hex[:8]
        with uow() as tx:  # a write transaction from the start: SQLite cannot upgrade a reader under load
            s = tx.session
            owner = s.scalar(select(User).where(User.username == "sales"))
            facts = dict(company=f"Gasthaus Test {tag}", contact_name="Anna Berger", email=f"{tag}@gasthaus.example",
                         business_type="RESTAURANT", city=f"Stadt {tag}", vat_id=f"DE{tag}", owner_id=owner.id,
                         team_id=owner.team_id, email_consent=True, score=80, estimated_volume=1200,
                         status="ACTIVE", registered_at=now - timedelta(days=20), updated_at=now)
            lead = Lead(**{**facts, **changes})
            s.add(lead)
            s.flush()
            s.add(Activity(lead_id=lead.id, type="CALL", occurred_at=now - timedelta(days=3), details={}))
            tx.commit()
            return lead.id

    def decisions(self, db, lead_id: int) -> list[ConversionDecision]:
        with db() as s:
            return list(s.scalars(select(ConversionDecision).where(ConversionDecision.lead_id == lead_id)))

    def count(self, db, model, *where) -> int:
        with db() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where))

    def test_one_reply_posted_five_times_at_once_converts_once_with_one_welcome_mail(self, url, db, make_lead):
        lead_id = make_lead()
        event = replied(lead_id, POSITIVE)
        with ThreadPoolExecutor(max_workers=5) as pool:
            codes = list(pool.map(lambda _: post(url, event), range(5)))
        assert sorted(codes) == [200, 200, 200, 200, 202]
        assert wait_for(lambda: self.decisions(db, lead_id)), "no conversion decision was recorded"
        time.sleep(0.5)  # anything still in flight would show up now
        [decision] = self.decisions(db, lead_id)
        assert decision.decision == "CONVERT" and decision.rule_id is not None and decision.rule_version >= 1
        with db() as s:
            lead = s.get(Lead, lead_id)
            [customer] = s.scalars(select(Customer).where(Customer.original_lead_id == lead_id)).all()
            activities = s.scalars(select(Activity).where(Activity.lead_id == lead_id)).all()
            welcome = s.scalars(select(EmailMessage).where(EmailMessage.lead_id == lead_id)).all()
            notice = s.scalar(select(EmailMessage).where(EmailMessage.idempotency_key == f"conversion:{customer.id}:owner"))
            owner = s.get(User, lead.owner_id)
        assert lead.status == "CONVERTED" and (customer.status, customer.onboarding) == ("ACTIVE", "PENDING")
        assert notice.to_email == owner.email and notice.template_id is not None and lead.company in notice.subject
        assert sorted(a.type for a in activities) == ["CALL", "CONVERSION", "REPLY"]
        assert {a.customer_id for a in activities} == {customer.id}
        assert [a.outcome for a in activities if a.type == "REPLY"] == ["POSITIVE"]
        assert len(welcome) == 1 and welcome[0].to_email == lead.email and welcome[0].template_id is not None
        assert self.count(db, EventRecord, EventRecord.type == "com.freshplan.customer.converted.v1",
                          EventRecord.subject == f"lead/{lead_id}") == 1

    def test_five_distinct_positive_replies_at_once_convert_once(self, url, db, make_lead):
        lead_id = make_lead()
        with ThreadPoolExecutor(max_workers=5) as pool:
            codes = list(pool.map(lambda _: post(url, replied(lead_id, POSITIVE)), range(5)))
        assert codes == [202] * 5
        assert wait_for(lambda: self.count(db, Activity, Activity.lead_id == lead_id, Activity.type == "REPLY") == 5)
        assert wait_for(lambda: self.decisions(db, lead_id))
        time.sleep(0.5)
        assert [d.decision for d in self.decisions(db, lead_id)] == ["CONVERT"]
        assert self.count(db, Customer, Customer.original_lead_id == lead_id) == 1
        assert self.count(db, EmailMessage, EmailMessage.idempotency_key == f"welcome:lead:{lead_id}") == 1

    def test_a_reply_after_the_conversion_belongs_to_the_customer(self, url, db, make_lead):
        lead_id = make_lead()
        assert post(url, replied(lead_id, POSITIVE)) == 202
        assert wait_for(lambda: self.count(db, Customer, Customer.original_lead_id == lead_id) == 1)
        assert post(url, replied(lead_id, "Danke, die Lieferung kam gut an.")) == 202
        assert wait_for(lambda: self.count(db, Activity, Activity.lead_id == lead_id, Activity.type == "REPLY") == 2)
        with db() as s:
            customer = s.scalar(select(Customer.id).where(Customer.original_lead_id == lead_id))
            replies = s.scalars(select(Activity.customer_id).where(Activity.lead_id == lead_id, Activity.type == "REPLY")).all()
        assert replies == [customer, customer], "the late reply is on the customer's record too"

    def test_a_lead_that_is_not_ready_is_rejected_with_the_reason(self, url, db, make_lead):
        lead_id = make_lead(estimated_volume=None)
        assert post(url, replied(lead_id, POSITIVE)) == 202
        assert wait_for(lambda: self.decisions(db, lead_id))
        [decision] = self.decisions(db, lead_id)
        assert (decision.decision, decision.fact, decision.reasons) == ("REJECT", "volume_set", ["no estimated volume"])
        assert self.count(db, Customer, Customer.original_lead_id == lead_id) == 0
        with db() as s:
            rejected = s.scalar(select(EventRecord).where(EventRecord.type == "com.freshplan.customer.conversion_rejected.v1",
                                                          EventRecord.subject == f"lead/{lead_id}"))
        assert rejected.data["reasons"] == ["no estimated volume"]

    def test_a_customer_with_the_same_vat_id_blocks_the_conversion(self, url, db, make_lead):
        first = make_lead()
        assert post(url, replied(first, POSITIVE)) == 202
        assert wait_for(lambda: self.count(db, Customer, Customer.original_lead_id == first) == 1)
        with db() as s:
            vat = s.get(Lead, first).vat_id
        second = make_lead(vat_id=vat.lower())
        assert post(url, replied(second, POSITIVE)) == 202
        assert wait_for(lambda: self.decisions(db, second))
        [decision] = self.decisions(db, second)
        assert decision.decision == "REJECT" and decision.fact == "duplicate"
        assert "same VAT id" in decision.reasons[0]
        assert self.count(db, Customer, Customer.original_lead_id == second) == 0

    def test_an_unsubscribe_reply_suppresses_the_address_and_withdraws_consent(self, url, db, make_lead):
        lead_id = make_lead()
        assert post(url, replied(lead_id, "Bitte nehmen Sie uns aus dem Verteiler, keine E-Mails mehr.")) == 202
        with db() as s:
            email = s.get(Lead, lead_id).email
        assert wait_for(lambda: self.count(db, Suppression, Suppression.email == email) == 1)
        with db() as s:
            lead = s.get(Lead, lead_id)
            assert lead.email_consent is False and lead.next_followup_at is None
        assert self.count(db, Customer, Customer.original_lead_id == lead_id) == 0

    def test_an_unclear_reply_waits_for_a_person(self, url, db, make_lead):
        lead_id = make_lead()
        assert post(url, replied(lead_id, "Hallo, siehe Anhang.")) == 202
        assert wait_for(lambda: self.count(db, ReplyReview, ReplyReview.lead_id == lead_id) == 1)
        assert self.decisions(db, lead_id) == []


class TestSqlite(ConversionContract):
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, tmp_path_factory):
        with serving_demo_app(tmp_path_factory.mktemp("conversion"), demo_leads=20) as served:
            yield served


@pytest.mark.postgres
class TestPostgres(ConversionContract):
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls, tmp_path_factory):
        with fresh_pg_database() as url, \
                serving_demo_app(tmp_path_factory.mktemp("conversion-pg"), demo_leads=20, database_url=url) as served:
            yield served
