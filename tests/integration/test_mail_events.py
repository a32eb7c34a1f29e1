"""The email core's outcomes reach the event log atomically: `email.sent` with the template facts,
and `followup.failed` when a follow-up mail dies."""
from __future__ import annotations

from sqlalchemy import select

from data.models import EventRecord
from mailer.api import MailError, QueueOutcome
from services.mail_events import PublishedMailOutcomes
from tests.integration.test_mail_delivery_support import (FakeTime, RecordingProvider, add_lead, dispatcher, make_uow,
                                                          messages, queue)


def logged(uow) -> list[EventRecord]:
    with uow(write=False) as tx:
        rows = list(tx.session.scalars(select(EventRecord).order_by(EventRecord.seq)))
        tx.session.expunge_all()
    return rows


def test_a_sent_mail_logs_one_email_sent_event_with_its_template_facts(tmp_path):
    uow, clock = make_uow(f"sqlite:///{tmp_path / 'mail.db'}"), FakeTime()
    lead = add_lead(uow, "koch@restaurant.example")
    assert queue(uow, "lead-1/T3", clock.now, lead_id=lead) == QueueOutcome.QUEUED
    mailer = dispatcher(uow, [RecordingProvider("smtp")], clock, outcomes=PublishedMailOutcomes())
    mailer.dispatch_once()
    mailer.dispatch_once()  # nothing left: no second event
    [event] = logged(uow)
    assert (event.type, event.subject) == ("com.freshplan.email.sent.v1", f"lead/{lead}")
    assert event.data == {"message_id": "lead-1/T3", "provider": "smtp", "sent_at": clock.now.isoformat(),
                          "lead_id": lead, "template_version": 3, "variant": "B", "step": "T3"}


def test_a_follow_up_mail_that_dies_logs_followup_failed_with_the_reason(tmp_path):
    uow, clock = make_uow(f"sqlite:///{tmp_path / 'mail.db'}"), FakeTime()
    lead = add_lead(uow, "koch@restaurant.example")
    queue(uow, "lead-1/T7", clock.now, lead_id=lead)
    refusing = RecordingProvider("smtp", errors=[MailError("550 mailbox unavailable", permanent=True)])
    dispatcher(uow, [refusing], clock, outcomes=PublishedMailOutcomes()).dispatch_once()
    assert messages(uow)["lead-1/T7"].status == "dead"
    [event] = logged(uow)
    assert event.type == "com.freshplan.followup.failed.v1"
    assert event.data["lead_id"] == lead and event.data["step"] == "T3"
    assert "550 mailbox unavailable" in event.data["reason"]
