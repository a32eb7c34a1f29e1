"""The interface every mail provider implements, and the errors a provider raises besides MailError."""
from __future__ import annotations

from abc import ABC, abstractmethod

from mailer.message import MailError, OutgoingMail


class OutcomeUnknown(MailError):
    """The request reached the provider but no answer came back: it may have accepted the mail.
    Never retried (a retry could send it twice); the message is left unconfirmed."""

    def __init__(self, reason: str):
        super().__init__(reason, permanent=False)


class Throttled(MailError):
    """The provider asks us to slow down (SMTP 454, HTTP 429, SES ThrottlingException): retried."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason, permanent=False, retry_after=retry_after)


class MailProvider(ABC):
    name: str

    @abstractmethod
    def send(self, mail: OutgoingMail) -> str:
        """Hand the mail over; returns the provider's message id. Raises MailError."""

    def has_mail(self, mail: OutgoingMail) -> bool | None:
        """After a crash between the call and its record: True when the provider verifiably has the
        mail, False when it verifiably does not (sending again is safe), None when it cannot tell."""
        return None
