"""SMTP through smtplib: STARTTLS, implicit TLS (ssl) or plain, optional login.

Reply codes 550-554 are permanent for this mail; every other refusal (4xx including 454, and
server-wide 5xx such as a failed login) and a dropped connection are temporary, so the message is
retried and the breaker can move traffic to the next provider.
"""
from __future__ import annotations

import smtplib
import ssl

from mailer.message import MailError, OutgoingMail
from mailer.providers.base import MailProvider, Throttled

PERMANENT_CODES = range(550, 555)
THROTTLING_CODES = (421, 454)  # "too many connections", "slow down"


class SmtpProvider(MailProvider):
    def __init__(self, host: str, port: int, *, security: str = "starttls", user: str = "", password: str = "",
                 timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None, name: str = "smtp"):
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.user, self.password, self.name = user, password, name
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, mail: OutgoingMail) -> str:
        try:
            with self._connect() as client:
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(mail.to_mime())
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classified(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classified(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"smtp connection: {exc.__class__.__name__}: {exc}") from exc
        return mail.message_id

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                client.starttls(context=self.ssl_context)
            except BaseException:
                client.close()
                raise
        return client


def _classified(code: int, text: bytes | str) -> MailError:
    message = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    reason = f"smtp {code}: {message}"
    if code in PERMANENT_CODES:
        return MailError(reason, permanent=True)
    if code in THROTTLING_CODES:
        return Throttled(reason)
    return MailError(reason, permanent=False)
