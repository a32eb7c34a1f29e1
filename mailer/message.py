"""The mail as providers see it: addresses, parts, the unsubscribe headers, a stable Message-ID."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage as MimeMessage
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr, parseaddr

from mailer.unsubscribe import unsubscribe_headers

# A signed unsubscribe URL is one long word: folded at 78 columns the default policy would turn it
# into RFC 2047 encoded-words, which mail clients do not read as a List-Unsubscribe URL.
MIME_POLICY = policy.default.clone(max_line_length=998)


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
