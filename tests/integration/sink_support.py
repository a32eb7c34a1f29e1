"""What the sink tests share: events from a test CRM, posting them, serving the app, finding a delivery."""
from __future__ import annotations

import json
import uuid

import requests
from sqlalchemy import select

from data.models import EventRecord
from data.sink_models import SinkDelivery
from tests.conftest import LiveServer, shutdown

AUTH = {"Authorization": "Bearer test-token"}
REGISTERED, SAMPLE = "com.freshplan.lead.registered.v1", "com.freshplan.lead.sample_delivered.v1"


def external(type_: str, subject: str, event_id: str | None = None) -> dict:
    event_id = event_id or uuid.uuid4().hex
    email = f"{subject}@hotel.example"
    data = ({"company": f"Hotel {subject}", "business_type": "HOTEL", "registered_at": "2026-11-27T09:00:00Z",
             "email": email, "owner": "sales", "email_consent": True} if type_ == REGISTERED
            else {"delivered_at": "2026-11-28T09:00:00Z", "email": email})
    return {"specversion": "1.0", "id": event_id, "source": "/crm/test", "type": type_, "subject": subject,
            "time": "2026-11-27T09:00:00Z", "data": data}


def post(url: str, event: dict) -> None:
    r = requests.post(f"{url}/api/events", data=json.dumps(event),
                      headers={**AUTH, "Content-Type": "application/cloudevents+json"})
    assert r.status_code == 202, r.text


def delivery(app, event_id: str) -> SinkDelivery | None:
    with app.extensions["cockpit"].uow.session_factory() as s:
        return s.scalar(select(SinkDelivery).join(EventRecord, EventRecord.seq == SinkDelivery.event_seq)
                        .where(EventRecord.id == event_id))


def serve(settings):
    from app import create_app

    app = create_app(settings)
    return LiveServer(app), app


def shut(live, app):
    live.close()
    shutdown(app)
