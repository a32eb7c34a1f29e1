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
    return EmailMessage(**_row(request, key, now))


def queue_mails(tx, items: list[tuple[MailRequest, str]], now: datetime) -> list[QueueOutcome | Exception]:
    """queue_mail for a batch of (request, idempotency key): one look-up of the keys, one of the
    refusals, one insert. Per item, in order, its outcome, or the error that refused it (a bad address)."""
    outcomes: list = [None] * len(items)
    for i, (request, _) in enumerate(items):
        try:
            _check_address(request.to_email)
        except ValueError as exc:
            outcomes[i] = exc
    open_ = [i for i, outcome in enumerate(outcomes) if outcome is None]
    messages = tx.email_messages
    seen = messages.queued_keys([items[i][1] for i in open_])
    suppressed, no_consent = messages.refused_among([items[i][0].to_email for i in open_],
                                                    [items[i][0].lead_id for i in open_])
    rows = {}
    for i in open_:
        request, key = items[i]
        if key in seen:
            outcomes[i] = QueueOutcome.DUPLICATE
        elif request.to_email.strip().lower() in suppressed or request.lead_id in no_consent:
            outcomes[i] = QueueOutcome.SUPPRESSED
        else:
            rows[i] = _row(request, key, now)
    written = messages.add_many(list(rows.values()))
    for i, row in rows.items():
        outcomes[i] = QueueOutcome.QUEUED if row["idempotency_key"] in written else QueueOutcome.DUPLICATE
    return outcomes


def _row(request: MailRequest, key: str, now: datetime) -> dict:
    """A new message's columns (all of them: a bulk insert applies no column defaults)."""
    content = request.content
    return {"idempotency_key": key, "lead_id": request.lead_id, "to_email": request.to_email.strip(),
            "subject": " ".join(content.subject.split())[:SUBJECT_MAX],  # one header line, no injected headers
            "body_html": content.html,
            "body_text": content.text, "template_id": content.template_id,
            "template_version": content.template_version, "template_variant": content.variant,
            "context": dict(request.context) or None, "status": MessageStatus.QUEUED.value, "attempts": 0,
            "next_attempt_at": now, "created_at": now}
