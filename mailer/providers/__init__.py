"""Mail providers behind one interface; `build_providers` makes the configured ones in order."""
from __future__ import annotations

from abc import ABC, abstractmethod

from mailer.api import MailError
from mailer.message import OutgoingMail


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


def build_providers(settings) -> list[MailProvider]:
    """The providers named in settings.mail_providers, in that order (the failover order)."""
    return [_build(name, settings) for name in settings.mail_providers]


def _build(name: str, settings) -> MailProvider:
    if name == "file":
        from mailer.providers.file import FileProvider

        return FileProvider(settings.mail_dir)
    if name == "smtp":
        from mailer.providers.smtp import SmtpProvider

        return SmtpProvider(settings.smtp_host, settings.smtp_port, security=settings.smtp_security,
                            user=settings.smtp_user, password=settings.smtp_password)
    if name == "sendgrid":
        from mailer.providers.sendgrid import SendGridProvider

        return SendGridProvider(settings.sendgrid_api_key, base_url=settings.sendgrid_base_url)
    if name == "ses":
        from mailer.providers.ses import SesProvider

        return SesProvider(region=settings.ses_region, endpoint_url=settings.ses_endpoint_url or None)
    raise ValueError(f"unknown mail provider {name!r}")
