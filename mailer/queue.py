"""Queue one mail in the caller's transaction (callers outside the email core use mailer.api.queue_mail)."""
from __future__ import annotations

from datetime import datetime

from data.models import EmailMessage
from domain.model import MessageStatus
from mailer.message import MailRequest, QueueOutcome

SUBJECT_MAX = 200


def queue_mail(tx, request: MailRequest, idempotency_key: str, now: datetime) -> QueueOutcome:
    """A new `queued` row, or DUPLICATE for a key seen before, or SUPPRESSED (nothing written).

    A concurrent duplicate leaves the caller's transaction usable (data.email_messages.add_once)."""
    _check_address(request.to_email)
    messages = tx.email_messages
    if messages.by_key(idempotency_key) is not None:
        return QueueOutcome.DUPLICATE
    if messages.refusal(request.to_email, request.lead_id):
        return QueueOutcome.SUPPRESSED
    if not messages.add_once(_message(request, idempotency_key, now)):
        return QueueOutcome.DUPLICATE
    return QueueOutcome.QUEUED


def _check_address(email: str) -> None:
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or "." not in domain or any(c in email for c in "\r\n\t <>,"):
        raise ValueError(f"not a single email address: {email!r}")


def _message(request: MailRequest, key: str, now: datetime) -> EmailMessage:
    content = request.content
    subject = " ".join(content.subject.split())[:SUBJECT_MAX]  # one header line, no injected headers
    return EmailMessage(
        idempotency_key=key, lead_id=request.lead_id, to_email=request.to_email.strip(), subject=subject,
        body_html=content.html, body_text=content.text, template_id=content.template_id,
        template_version=content.template_version, template_variant=content.variant,
        context=dict(request.context) or None, status=MessageStatus.QUEUED.value, attempts=0,
        next_attempt_at=now, created_at=now)
