"""HTTP webhook sink: CloudEvents HTTP binding, structured mode, signed with HMAC-SHA256.

The receiver recomputes HMAC-SHA256(secret, "<X-Cockpit-Timestamp>.<raw body>") and compares it with
X-Cockpit-Signature ("sha256=<hex>"); the timestamp is signed too, so a replayed old request can be refused.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from email.utils import parsedate_to_datetime

import requests

from domain.cloudevents import CloudEvent
from pipelines.sinks import SinkError

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Cockpit-Signature", "X-Cockpit-Timestamp"
RETRYABLE_STATUS = {408, 429}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value over the timestamp and the raw body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class WebhookSink:
    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 10.0, clock=time.time):
        self.url, self._secret, self.timeout, self._clock = url, secret, timeout, clock
        self._http = requests.Session()

    def send(self, event: CloudEvent) -> None:
        body = json.dumps(event.to_json(), separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(self._clock()))
        headers = {"Content-Type": CONTENT_TYPE, TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self._secret, timestamp, body), "User-Agent": "followup-cockpit-webhook/1"}
        try:
            response = self._http.post(self.url, data=body, headers=headers, timeout=self.timeout,
                                       allow_redirects=False)
        except requests.RequestException as exc:
            raise SinkError(f"{type(exc).__name__}: {exc}", retryable=True) from None
        self._judge(response)

    def _judge(self, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"HTTP {status} from {self.url}: {response.text[:200]}".strip()
        if status >= 500 or status in RETRYABLE_STATUS:
            raise SinkError(reason, retryable=True, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        raise SinkError(reason, retryable=False)  # other 4xx (and redirects): the request itself is refused

    def close(self) -> None:
        self._http.close()
