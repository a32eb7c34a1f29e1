"""Another system names its leads by its own ids: a lead registered with `external_id` is found by it
in the sample delivery and the reply that follow; an event about a lead that names none is refused."""
from __future__ import annotations

import json
import uuid

import pytest
import requests
from sqlalchemy import select

from data.models import Activity, Lead
from tests.conftest import serving_demo_app, wait_for

HEADERS = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}
T = "com.freshplan.{}.v1"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("external-ids"), demo_leads=20) as (live, app):
        yield live.url, app.extensions["cockpit"].uow


def post(url: str, type_: str, data: dict, subject: str) -> requests.Response:
    event = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/crm/ids", "type": T.format(type_),
             "subject": subject, "data": data}
    return requests.post(f"{url}/api/events", data=json.dumps(event), headers=HEADERS, timeout=30)


def test_sample_and_reply_find_the_lead_by_its_external_id(served):
    url, uow = served
    crm_id = f"CRM-{uuid.uuid4().hex[:8]}"
    assert post(url, "lead.registered", {"company": "Hotel Extern", "business_type": "HOTEL", "external_id": crm_id,
                                         "registered_at": "2026-11-27T09:00:00Z"}, crm_id).status_code == 202
    assert post(url, "lead.sample_delivered", {"external_id": crm_id, "delivered_at": "2026-11-28T09:00:00Z"},
                crm_id).status_code == 202
    assert post(url, "followup.replied", {"external_id": crm_id, "replied_at": "2026-11-29T09:00:00Z",
                                          "text": "Danke!"}, crm_id).status_code == 202

    def applied() -> bool:
        with uow(write=False) as tx:
            lead = tx.session.scalar(select(Lead).where(Lead.external_id == crm_id))
            kinds = [] if lead is None else tx.session.scalars(select(Activity.type).where(Activity.lead_id == lead.id)).all()
            return lead is not None and lead.sample_delivered_at is not None and sorted(kinds) == ["REPLY", "SAMPLE_SENT"]

    assert wait_for(applied, timeout=10), "the sample and the reply did not reach the lead registered with that id"


@pytest.mark.parametrize("type_,data", [("lead.sample_delivered", {"delivered_at": "2026-11-28T09:00:00Z"}),
                                        ("followup.replied", {"replied_at": "2026-11-29T09:00:00Z", "text": "Ja"})])
def test_an_event_that_names_no_lead_is_refused(served, type_, data):
    url, _ = served
    answer = post(url, type_, data, "crm-x")
    assert answer.status_code == 400 and answer.json()["attribute"] == "data"
