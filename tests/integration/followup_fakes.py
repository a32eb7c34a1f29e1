"""Small stand-ins for the email core in follow-up tests: a renderer and a queue that keep the
contract of mailer.api (one email_messages row per idempotency key)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from data.models import EmailMessage
from mailer.api import MailRequest, QueueOutcome, RenderedMail


class FakeRenderer:
    """Renders `kind: variables`; raises for the companies named in `broken` (a broken template)."""

    def __init__(self, broken: set[str] | None = None):
        self.broken = broken if broken is not None else set()

    def __call__(self, tx, kind: str, locale: str, variables: dict, pick: str) -> RenderedMail:
        if variables["company"] in self.broken:
            raise LookupError(f"no active {kind} template")
        missing = {"company", "contact_name", "unsubscribe_url"} - set(variables)
        assert not missing, missing
        return RenderedMail(subject=f"{kind} {variables['company']}", html="<p>x</p>", text=str(variables),
                            template_id=7, template_version=3, variant="A")


def fake_queue(tx, request: MailRequest, key: str, now: datetime) -> QueueOutcome:
    session = tx.session
    if session.scalar(select(EmailMessage.id).where(EmailMessage.idempotency_key == key)) is not None:
        return QueueOutcome.DUPLICATE
    try:
        with session.begin_nested():
            session.execute(insert(EmailMessage.__table__).values(
                idempotency_key=key, lead_id=request.lead_id, to_email=request.to_email,
                subject=request.content.subject, body_html=request.content.html, body_text=request.content.text,
                status="queued", attempts=0, created_at=now))
    except IntegrityError:
        return QueueOutcome.DUPLICATE
    return QueueOutcome.QUEUED


def mail_count(tx) -> int:
    return tx.session.scalar(select(func.count()).select_from(EmailMessage))
