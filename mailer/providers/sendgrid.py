"""SendGrid's v3 mail send API over HTTP; the base URL is a setting so tests use a local server.

202 is accepted; 429 is throttling (retried after Retry-After); any other 4xx is permanent; 5xx and
a failed connection are temporary. A request that was sent but never answered may have been
accepted, so it is reported as an unknown outcome, never retried.
"""
from __future__ import annotations

import requests

from mailer.message import MailError, OutgoingMail
from mailer.providers.base import MailProvider, OutcomeUnknown, Throttled


class SendGridProvider(MailProvider):
    def __init__(self, api_key: str, *, base_url: str = "https://api.sendgrid.com", timeout: float = 30.0,
                 name: str = "sendgrid"):
        self.api_key, self.base_url, self.timeout, self.name = api_key, base_url.rstrip("/"), timeout, name
        self._http = requests.Session()

    def send(self, mail: OutgoingMail) -> str:
        try:
            response = self._http.post(f"{self.base_url}/v3/mail/send", json=payload(mail), timeout=self.timeout,
                                       headers={"Authorization": f"Bearer {self.api_key}"})
        except requests.ConnectionError as exc:  # includes a connect timeout: nothing was sent
            raise MailError(f"sendgrid connection: {exc.__class__.__name__}") from exc
        except requests.Timeout as exc:
            raise OutcomeUnknown(f"sendgrid gave no answer: {exc.__class__.__name__}") from exc
        if response.status_code in (200, 202):
            return response.headers.get("X-Message-Id") or mail.message_id
        reason = f"sendgrid {response.status_code}: {response.text[:300]}"
        if response.status_code == 429:
            raise Throttled(reason, retry_after=_retry_after(response.headers.get("Retry-After")))
        # 401/403 say the account or key is wrong, not this mail: temporary, so the breaker moves
        # traffic to the next provider instead of dead-lettering every message.
        raise MailError(reason, permanent=400 <= response.status_code < 500 and response.status_code not in (401, 403))


def payload(mail: OutgoingMail) -> dict:
    name, address = mail.sender_address
    sender = {"email": address, **({"name": name} if name else {})}
    content = [{"type": "text/plain", "value": mail.text or " "}]
    if mail.html:
        content.append({"type": "text/html", "value": mail.html})
    return {"personalizations": [{"to": [{"email": mail.to_email}]}], "from": sender, "subject": mail.subject,
            "content": content, "headers": dict(mail.headers),
            "custom_args": {"message_key": mail.key}}  # comes back on webhook events


def _retry_after(raw: str | None) -> float | None:
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None
