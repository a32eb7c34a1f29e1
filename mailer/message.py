"""The email core's vocabulary: what a caller hands in (a rendered template, a request), what it gets
back, a provider's error, the listener told of final outcomes, and the mail as providers see it
(addresses, parts, the unsubscribe headers, a stable Message-ID)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage as MimeMessage
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr, parseaddr
from enum import Enum

from mailer.unsubscribe import unsubscribe_headers

# A signed unsubscribe URL is one long word: folded at 78 columns the default policy would turn it
# into RFC 2047 encoded-words, which mail clients do not read as a List-Unsubscribe URL.
MIME_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class RenderedMail:
    """A template rendered for one recipient, with what it came from (recorded on the message)."""

    subject: str
    html: str
    text: str
    template_id: int | None = None
    template_version: int | None = None
    variant: str | None = None


@dataclass(frozen=True)
class MailRequest:
    to_email: str
    content: RenderedMail
    lead_id: int | None = None
    # Free-form facts the sender wants back on delivery events, e.g. {"followup_step": "T3"}.
    context: dict = field(default_factory=dict)


class QueueOutcome(str, Enum):
    QUEUED = "queued"          # a new message row, status queued
    DUPLICATE = "duplicate"    # this idempotency key was queued before; nothing new
    SUPPRESSED = "suppressed"  # the address is on the suppression list or the lead gave no consent


class MailError(Exception):
    """A provider refused or failed; `permanent` says whether trying again could help."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.permanent, self.retry_after = reason, permanent, retry_after


class MailOutcomes:
    """Told, inside the transaction that records it, that a message was sent or died, so the rest of
    the cockpit (events, follow-up records) changes atomically with the message state. The email core
    cannot publish events itself (it sits below the services); app.py passes the services' listener."""

    def sent(self, tx, message, now: datetime) -> None:
        """`message` is the EmailMessage row, now `sent`."""

    def sent_many(self, tx, messages: list, now: datetime) -> None:
        """`sent` for a batch the dispatcher records in one transaction (override to write it at once)."""
        for message in messages:
            self.sent(tx, message, now)

    def dead(self, tx, message, now: datetime) -> None:
        """`message` is the EmailMessage row, now `dead` with its reason in `last_error`."""


@dataclass(frozen=True)
class OutgoingMail:
    key: str  # the idempotency key: also names the mail at the provider (tags, custom args)
    sender: str  # "Name <address>" or a bare address
    to_email: str
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    date: datetime | None = None  # when it was handed to the provider: the Date header RFC 5322 requires

    @property
    def message_id(self) -> str:
        """Derived from the key, so a file name or a provider lookup can find this mail again."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        return f"<{digest}@{domain}>"

    @property
    def sender_address(self) -> tuple[str, str]:
        return parseaddr(self.sender)

    def to_mime(self) -> MimeMessage:
        mime = MimeMessage(policy=MIME_POLICY)
        name, address = self.sender_address
        mime["From"] = formataddr((name, address))
        mime["To"] = self.to_email
        mime["Subject"] = self.subject
        mime["Message-ID"] = self.message_id
        mime["Date"] = format_datetime(self.date or datetime.now(timezone.utc))
        for header, value in self.headers.items():
            mime[header] = value
        mime.set_content(self.text or " ")
        if self.html:
            mime.add_alternative(self.html, subtype="html")
        return mime


def compose(key: str, to_email: str, subject: str, html: str, text: str, *, sender: str, secret: str,
            base_url: str, date: datetime | None = None) -> OutgoingMail:
    """The mail for one queued message: every mail carries the one-click unsubscribe headers."""
    return OutgoingMail(key=key, sender=sender, to_email=to_email, subject=subject, html=html, text=text,
                        headers=unsubscribe_headers(to_email, secret, base_url), date=date)
