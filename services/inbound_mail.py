"""Inbound replies: a mail a lead sent back, handed over by a provider's inbound webhook, becomes a
followup.replied event, so the lead-state and conversion consumers act on it as on any other reply.

The sender's address names the lead (case-insensitively; the most recent lead with that address).
The mail's Message-ID is the event id, so a provider repeating its webhook logs the reply once.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from domain.cloudevents import CloudEvent
from domain.events import FOLLOWUP_REPLIED, STEPS
from services.clock import Clock, utc_now
from services.ingest import Outcome, check_external, ingest_events
from services.replies import MAX_TEXT
from services.telemetry import NO_TELEMETRY, Telemetry

SOURCE = "/webhooks/inbound"
PRODUCES = {SOURCE: (FOLLOWUP_REPLIED,)}  # read by pipelines.catalog
APPLIED, DUPLICATE, UNKNOWN_SENDER = "applied", "duplicate", "unknown sender"
# Where the quoted original starts: "On Mon, ... wrote:", "Am ... schrieb ...:", Outlook's separator.
_QUOTE_START = re.compile(r"^\s*(On .{0,200}wrote:|Am .{0,200}schrieb.{0,100}:|-{2,}\s*(Original Message|Ursprüngliche "
                          r"Nachricht)\s*-{2,}|From:\s.*|Von:\s.*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class InboundMail:
    sender: str  # the bare address
    subject: str
    text: str
    message_id: str | None  # the Message-ID header, when the mail had one
    sent_at: datetime | None  # the Date header, when it had a readable one


@dataclass(frozen=True)
class InboundResult:
    result: str  # APPLIED, DUPLICATE or UNKNOWN_SENDER
    lead_id: int | None = None
    event_id: str | None = None


def reply_body(text: str) -> str:
    """The lead's own words: quoted lines and the quoted original under them are left out, so the
    classifier reads the answer, not our follow-up mail."""
    kept = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip() or text.strip()


def _event_id(mail: InboundMail) -> str:
    """The Message-ID identifies the mail; without one, the facts a repeat would carry again."""
    identity = mail.message_id or "\x1f".join((mail.sender.lower(), mail.subject, mail.text))
    return "inbound-" + hashlib.sha256(identity.strip().encode()).hexdigest()[:32]


def receive_inbound_reply(uow, mail: InboundMail, clock: Clock = utc_now,
                          telemetry: Telemetry = NO_TELEMETRY) -> InboundResult:
    """Log the reply as followup.replied for the sender's lead; raises services.ingest.StoreBusy when
    the store could not take the write lock (nothing was logged, the provider retries)."""
    with uow(write=False) as tx:
        lead = tx.leads.newest_by_email(mail.sender)
        if lead is None:
            return InboundResult(UNKNOWN_SENDER)
        lead_id, step = lead.id, lead.last_followup_step
    replied_at = mail.sent_at or clock()
    data = {"lead_id": lead_id, "email": mail.sender, "replied_at": replied_at.isoformat(),
            "text": reply_body(mail.text)[:MAX_TEXT], "step": step if step in STEPS else None}
    event = check_external(CloudEvent(id=_event_id(mail), source=SOURCE, type=FOLLOWUP_REPLIED, time=replied_at, data=data,
                                      subject=f"lead/{lead_id}"))
    [outcome] = ingest_events(uow, [event], clock=clock, telemetry=telemetry)
    # A repeat is the same mail even when its content differs (no Date header: another receive time).
    return InboundResult(APPLIED if outcome == Outcome.CREATED else DUPLICATE, lead_id, event.id)
