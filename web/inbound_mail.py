"""POST /webhooks/inbound: replies from leads, as SendGrid Inbound Parse posts them (a multipart form
with from, to, subject, text, html and the raw headers).

Machine-to-machine, so no session and no CSRF token (app.py exempts the blueprint); the provider
proves itself with INBOUND_WEBHOOK_SECRET as `?secret=` or the `X-Webhook-Secret` header. A malformed
body is refused with 400; a sender with no lead is answered 200 so the provider does not retry it.
"""
from __future__ import annotations

import re
from datetime import timezone
from email.parser import HeaderParser
from email.utils import parseaddr, parsedate_to_datetime

from flask import Blueprint, jsonify, request

from domain.cloudevents import storable_time
from services.ingest import StoreBusy
from services.inbound_mail import InboundMail, receive_inbound_reply
from components.request_context import deps
from web.mail_webhooks import Malformed, shared_secret_problem
from web.problem import problem

bp = Blueprint("inbound_mail", __name__)
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
_TAGS = re.compile(r"<[^>]+>")


def _field(name: str, limit: int) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        raise Malformed(f"{name} is longer than {limit} characters")
    return value


def _sent_at(headers):
    """The Date header as an aware time, or None when absent, unreadable or outside the times we store
    (a forged 'Fri, 31 Dec 9999 23:59:59 -1400' overflows once turned into UTC)."""
    try:
        when = parsedate_to_datetime(headers["Date"]) if headers["Date"] else None
    except (TypeError, ValueError, OverflowError):
        return None
    if when is None:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when if storable_time(when) else None


def _inbound_mail() -> InboundMail:
    if request.mimetype not in FORMS:
        raise Malformed(f"expected a form ({' or '.join(FORMS)}), got {request.mimetype or 'no content type'}")
    sender = parseaddr(_field("from", 500))[1]
    if "@" not in sender or len(sender) > 254:
        raise Malformed("from names no email address")
    text = _field("text", 200_000) or _TAGS.sub(" ", _field("html", 400_000))
    if not text.strip():
        raise Malformed("the mail has neither text nor html")
    headers = HeaderParser().parsestr(_field("headers", 100_000))
    message_id = (headers["Message-ID"] or "").strip() or None
    return InboundMail(sender=sender, subject=_field("subject", 1000), text=text, message_id=message_id,
                       sent_at=_sent_at(headers))


@bp.post("/webhooks/inbound")
def inbound():
    refused = shared_secret_problem(deps().settings.inbound_webhook_secret, "INBOUND_WEBHOOK_SECRET")
    if refused:
        return refused
    try:
        mail = _inbound_mail()
    except Malformed as exc:
        return problem(400, "Malformed inbound mail", str(exc))
    d = deps()
    try:
        result = receive_inbound_reply(d.uow, mail, clock=d.clock, telemetry=d.telemetry)
    except StoreBusy as exc:  # nothing was logged: the provider retries
        busy = problem(503, "Service Unavailable", "The event store is busy; retry shortly.")
        busy.headers["Retry-After"] = str(exc.retry_after)
        return busy
    return jsonify({"result": result.result, "lead_id": result.lead_id, "event_id": result.event_id}), 200
