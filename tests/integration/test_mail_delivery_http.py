"""SendGrid against a local HTTP server that checks the v3 payload, and SES (SESv2) against moto's
server mode plus a local server answering ThrottlingException: throttling, permanent and temporary
refusals, and a request that never gets an answer (left unconfirmed, never resent)."""
from __future__ import annotations

import email
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mailer.providers.sendgrid import SendGridProvider
from mailer.providers.ses import SesProvider
from tests.integration.test_mail_delivery_smtp import free_port
from tests.integration.test_mail_delivery_support import clock, dispatcher, messages, queue, uow  # noqa: F401


class ScriptedHttpServer:
    """Answers each POST with the next scripted (status, headers, body, delay); records the requests."""

    def __init__(self):
        self.script: list[tuple[int, dict, bytes, float]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, answer, delay = (outer.script.pop(0) if outer.script
                                                  else (202, {"X-Message-Id": f"sg-{len(outer.requests)}"}, b"", 0))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Length": str(len(answer)), **headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(answer)
                except BrokenPipeError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = ScriptedHttpServer()
    yield server
    server.close()


def sendgrid(server, timeout=5.0) -> SendGridProvider:
    return SendGridProvider("SG.test-key", base_url=server.url, timeout=timeout)


def test_sendgrid_gets_a_v3_payload_with_the_unsubscribe_headers(uow, clock, http_server):
    queue(uow, "sg-1", clock.now)
    dispatcher(uow, [sendgrid(http_server)], clock).dispatch_once()
    [sent] = http_server.requests
    body = json.loads(sent["body"])
    assert sent["path"] == "/v3/mail/send" and sent["headers"]["Authorization"] == "Bearer SG.test-key"
    assert body["personalizations"] == [{"to": [{"email": "koch@restaurant.example"}]}]
    assert body["from"] == {"email": "vertrieb@frisch.example", "name": "Frischküche Vertrieb"}
    assert body["subject"] == "Wie war die Probe? 0"
    assert body["content"] == [{"type": "text/plain", "value": "Hallo 0"},
                               {"type": "text/html", "value": "<p>Hallo 0</p>"}]
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["headers"]["List-Unsubscribe"].startswith("<http://cockpit.test/unsubscribe?token=")
    assert body["custom_args"] == {"message_key": "sg-1"}
    row = messages(uow)["sg-1"]
    assert (row.status, row.provider, row.provider_message_id) == ("sent", "sendgrid", "sg-1")


def test_sendgrid_429_waits_for_retry_after_then_sends(uow, clock, http_server):
    http_server.script = [(429, {"Retry-After": "17"}, b'{"errors":[{"message":"too many"}]}', 0)]
    queue(uow, "sg-slow", clock.now)
    mailer = dispatcher(uow, [sendgrid(http_server)], clock)
    mailer.dispatch_once()
    row = messages(uow)["sg-slow"]
    assert row.status == "failed" and (row.next_attempt_at - clock.now).total_seconds() == 17
    clock.advance(16)
    mailer.dispatch_once()
    assert len(http_server.requests) == 1
    clock.advance(1)
    mailer.dispatch_once()
    assert messages(uow)["sg-slow"].status == "sent" and len(http_server.requests) == 2
    assert mailer.metrics.snapshot()["failed"] == {"sendgrid": {"throttled": 1}}


def test_sendgrid_400_is_permanent_500_and_401_are_temporary(uow, clock, http_server):
    http_server.script = [(400, {}, b'{"errors":[{"message":"bad to"}]}', 0), (500, {}, b"oops", 0), (401, {}, b"", 0)]
    for key in ("bad", "oops", "key"):
        queue(uow, key, clock.now)
    dispatcher(uow, [sendgrid(http_server)], clock).dispatch_once()
    rows = messages(uow)
    assert [rows[k].status for k in ("bad", "oops", "key")] == ["dead", "failed", "failed"]
    assert "sendgrid 400" in rows["bad"].last_error


def test_a_sendgrid_request_without_answer_is_unconfirmed_and_never_resent(uow, clock, http_server):
    http_server.script = [(202, {}, b"", 1.0)]  # accepted, but later than the client waits
    queue(uow, "sg-lost", clock.now)
    mailer = dispatcher(uow, [sendgrid(http_server, timeout=0.3)], clock)
    mailer.dispatch_once()
    clock.advance(3600)
    mailer.dispatch_once()
    row = messages(uow)["sg-lost"]
    assert row.status == "unconfirmed" and len(http_server.requests) == 1


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_ses_sends_the_raw_mime_with_our_headers(uow, clock, moto_server, aws_credentials):
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    boto3.client("sesv2", region_name="eu-central-1", endpoint_url=moto_server).create_email_identity(
        EmailIdentity="frisch.example")
    queue(uow, "ses-1", clock.now)
    dispatcher(uow, [SesProvider(region="eu-central-1", endpoint_url=moto_server)], clock).dispatch_once()
    row = messages(uow)["ses-1"]
    assert (row.status, row.provider) == ("sent", "ses") and row.provider_message_id
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"]
    [raw] = [m for m in backend.sent_messages if m.id == row.provider_message_id]
    assert set(raw.destinations) == {"koch@restaurant.example"}
    mime = email.message_from_string(raw.raw_data)
    assert mime["To"] == "koch@restaurant.example"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_ses_rejecting_an_unverified_sender_is_permanent(uow, clock, moto_server, aws_credentials):
    queue(uow, "ses-rejected", clock.now)
    provider = SesProvider(region="us-west-2", endpoint_url=moto_server)  # nothing verified in this region
    dispatcher(uow, [provider], clock).dispatch_once()
    row = messages(uow)["ses-rejected"]
    assert (row.status, row.attempts) == ("dead", 1) and "MessageRejected" in row.last_error


def test_ses_throttling_is_retried(uow, clock, http_server, aws_credentials):
    throttled = json.dumps({"__type": "ThrottlingException", "message": "Maximum sending rate exceeded."}).encode()
    http_server.script = [(400, {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/json"},
                           throttled, 0),
                          (200, {"Content-Type": "application/json"}, b'{"MessageId": "ses-local-1"}', 0)]
    queue(uow, "ses-slow", clock.now)
    mailer = dispatcher(uow, [SesProvider(region="eu-central-1", endpoint_url=http_server.url)], clock)
    mailer.dispatch_once()
    row = messages(uow)["ses-slow"]
    assert (row.status, len(http_server.requests)) == ("failed", 1)  # botocore did not retry behind our back
    assert "ThrottlingException" in row.last_error
    clock.advance(5)
    mailer.dispatch_once()
    row = messages(uow)["ses-slow"]
    assert (row.status, row.provider_message_id) == ("sent", "ses-local-1")
    sent = http_server.requests[1]
    assert sent["path"] == "/v2/email/outbound-emails"
    assert json.loads(sent["body"])["Destination"] == {"ToAddresses": ["koch@restaurant.example"]}
    assert mailer.metrics.snapshot()["failed"] == {"ses": {"throttled": 1}}
