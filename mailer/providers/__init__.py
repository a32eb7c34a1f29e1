"""Mail providers behind one interface (mailer.providers.base); `build_providers` makes the configured
ones in order."""
from __future__ import annotations

from mailer.providers.base import MailProvider, OutcomeUnknown, Throttled
from mailer.providers.file import FileProvider
from mailer.providers.sendgrid import SendGridProvider
from mailer.providers.smtp import SmtpProvider

__all__ = ["MailProvider", "OutcomeUnknown", "Throttled", "build_providers"]


def build_providers(settings) -> list[MailProvider]:
    """The providers named in settings.mail_providers, in that order (the failover order)."""
    return [_build(name, settings) for name in settings.mail_providers]


def _build(name: str, settings) -> MailProvider:
    if name == "file":
        return FileProvider(settings.mail_dir)
    if name == "smtp":
        return SmtpProvider(settings.smtp_host, settings.smtp_port, security=settings.smtp_security,
                            user=settings.smtp_user, password=settings.smtp_password)
    if name == "sendgrid":
        return SendGridProvider(settings.sendgrid_api_key, base_url=settings.sendgrid_base_url)
    if name == "ses":
        from mailer.providers.ses import SesProvider  # boto3 takes a while to import: only SES users pay it

        return SesProvider(region=settings.ses_region, endpoint_url=settings.ses_endpoint_url or None)
    raise ValueError(f"unknown mail provider {name!r}")
