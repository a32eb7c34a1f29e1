"""The webhook sink against a real local HTTP receiver, and two sink dispatchers on PostgreSQL
(the NATS sink: test_sinks_nats.py)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import Lead
from data.uow import SqlAlchemyUnitOfWork
from domain.cloudevents import CloudEvent
from pipelines.relay import Relay
from pipelines.sinks.dispatcher import SinkDispatcher
from pipelines.sinks.webhook import WebhookSink
from services.clock import utc_now
from services.outbox import to_record
from tests.conftest import make_settings, wait_for
from tests.integration.sink_support import AUTH, REGISTERED, SAMPLE, delivery, external, post, serve, shut

SECRET = "webhook-secret-0123456789"


class Receiver:
    """A webhook endpoint on a free loopback port: verifies the signature as the README tells a receiver
    to, records every request, answers what a test planned per event id (then 204), can hold a request."""

    def __init__(self, secret: str):
        self.secret, self.requests, self.plans, self.holds, self.delay = secret, [], {}, {}, 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, headers = receiver.answer(self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def verified(self, headers, body: bytes) -> bool:
        stamp, given = headers.get("X-Cockpit-Timestamp", ""), headers.get("X-Cockpit-Signature", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given, expected) and abs(time.time() - int(stamp)) < 300

    def answer(self, headers, body: bytes):
        event = json.loads(body)
        with self._lock:
            self.requests.append({"at": time.monotonic(), "event": event, "signed": self.verified(headers, body),
                                  "content_type": headers.get("Content-Type", "")})
            plan = self.plans.get(event["id"])
            answer = plan.pop(0) if plan else (204, {})
        hold = self.holds.get(event["id"])
        if hold is not None:
            hold.wait(8)
        time.sleep(self.delay)
        return answer

    def of(self, event_id: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["event"]["id"] == event_id]

    def ids(self, prefix: str) -> list[str]:
        with self._lock:
            return [r["event"]["id"] for r in self.requests if r["event"]["id"].startswith(prefix)]

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver(SECRET)
    yield r
    r.close()


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory, receiver):
    live, app = serve(make_settings(tmp_path_factory.mktemp("sinks"), demo_leads=5, webhook_url=receiver.url,
                                    webhook_secret=SECRET, sink_max_attempts=3))
    yield live.url, app
    shut(live, app)


def test_an_event_reaches_the_webhook_once_signed_as_structured_cloudevent(cockpit, receiver):
    url, app = cockpit
    event = external(REGISTERED, f"once-{uuid.uuid4().hex[:8]}")
    post(url, event)
    assert wait_for(lambda: receiver.of(event["id"]) and delivery(app, event["id"]).delivered_at)
    time.sleep(0.3)  # a second delivery would show up by now
    [got] = receiver.of(event["id"])
    assert got["signed"] and got["content_type"].startswith("application/cloudevents+json")
    logged = requests.get(f"{url}/api/events", params={"subject": event["subject"]}, headers=AUTH).json()
    assert got["event"] == logged[0] and got["event"]["data"] == event["data"]


def test_retries_after_500_and_429_keep_the_subject_order_and_honour_retry_after(cockpit, receiver):
    url, app = cockpit
    subject = f"retry-{uuid.uuid4().hex[:8]}"
    first, second = external(REGISTERED, subject), external(SAMPLE, subject)
    receiver.plans[first["id"]] = [(500, {}), (429, {"Retry-After": "3"})]
    post(url, first)
    post(url, second)
    assert wait_for(lambda: receiver.of(second["id"]), timeout=20)
    tries = receiver.of(first["id"])
    assert [r["event"]["id"] for r in receiver.requests if r["event"]["subject"] == subject] == [first["id"]] * 3 + [second["id"]]
    assert tries[1]["at"] - tries[0]["at"] >= 0.6  # backoff from 1 s, 30% jitter
    assert tries[2]["at"] - tries[1]["at"] >= 2.9  # Retry-After: 3 beats a 2 s backoff
    assert all(r["signed"] for r in tries)
    row = delivery(app, first["id"])
    assert row.delivered_at is not None and row.attempts == 3 and row.dead_at is None


def test_a_failing_event_is_a_dead_letter_after_max_attempts_and_the_subject_moves_on(cockpit, receiver, caplog):
    url, app = cockpit
    subject = f"dead-{uuid.uuid4().hex[:8]}"
    doomed, later = external(REGISTERED, subject), external(SAMPLE, subject)
    receiver.plans[doomed["id"]] = [(500, {})] * 5
    post(url, doomed)
    post(url, later)
    assert wait_for(lambda: receiver.of(later["id"]), timeout=20)
    assert len(receiver.of(doomed["id"])) == 3  # SINK_MAX_ATTEMPTS=3
    row = delivery(app, doomed["id"])
    assert row.dead_at is not None and row.delivered_at is None
    assert "gave up after 3 attempts" in row.last_error and "HTTP 500" in row.last_error
    assert f"{doomed['id']}" in caplog.text and "dead letter" in caplog.text


def test_a_permanent_4xx_is_a_dead_letter_at_once(cockpit, receiver):
    url, app = cockpit
    subject = f"gone-{uuid.uuid4().hex[:8]}"
    refused, later = external(REGISTERED, subject), external(SAMPLE, subject)
    receiver.plans[refused["id"]] = [(410, {})]
    post(url, refused)
    post(url, later)
    assert wait_for(lambda: receiver.of(later["id"]))
    assert len(receiver.of(refused["id"])) == 1
    row = delivery(app, refused["id"])
    assert row.dead_at is not None and row.attempts == 1 and "permanent failure: HTTP 410" in row.last_error


def test_a_hanging_webhook_does_not_delay_the_consumers(cockpit, receiver):
    url, app = cockpit
    stuck, other = external(REGISTERED, f"hang-{uuid.uuid4().hex[:8]}"), external(REGISTERED, f"free-{uuid.uuid4().hex[:8]}")
    receiver.holds[stuck["id"]] = release = threading.Event()
    try:
        post(url, stuck)
        assert wait_for(lambda: receiver.of(stuck["id"]))  # the webhook now hangs on it
        post(url, other)
        db = app.extensions["cockpit"].uow.session_factory
        lead_of = lambda e: db().scalar(select(Lead).where(Lead.email == e["data"]["email"]))  # noqa: E731
        assert wait_for(lambda: lead_of(other) is not None, timeout=3), "the consumer waited for the webhook"
        assert lead_of(stuck) is not None and not receiver.of(other["id"])
    finally:
        release.set()
    assert wait_for(lambda: receiver.of(other["id"]))


class CountingWebhookSink(WebhookSink):
    def __init__(self, *args):
        super().__init__(*args)
        self.sent = 0

    def send(self, event: CloudEvent) -> None:
        super().send(event)
        self.sent += 1


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_deliver_each_event_once_in_subject_order(pg_url, receiver):
    engine = make_engine(pg_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    tag, now = f"pg-{uuid.uuid4().hex[:8]}-", utc_now()
    events = [CloudEvent(id=f"{tag}{i:03d}", source="/crm/test", type=REGISTERED, subject=f"{tag}s{i % 6}", time=now,
                         data=external(REGISTERED, "x")["data"], idempotencykey=f"{tag}{i}") for i in range(60)]
    with uow() as tx:
        for event in events:
            tx.events.add(to_record(event, now))
        tx.commit()
    relay = Relay(uow, consumers=[], sinks=["webhook"])
    while relay.run_once():
        pass
    receiver.delay = 0.005  # long enough for the two to overlap
    sinks = [CountingWebhookSink(receiver.url, SECRET) for _ in range(2)]
    dispatchers = [SinkDispatcher(uow, sink, batch=5, poll_seconds=0.05).start() for sink in sinks]
    try:
        assert wait_for(lambda: len(receiver.ids(tag)) >= 60, timeout=30)
        time.sleep(0.3)
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
        receiver.delay = 0.0
        engine.dispose()
    got = receiver.ids(tag)
    assert sorted(got) == [e.id for e in events]  # each exactly once
    assert all(sink.sent > 0 for sink in sinks), [sink.sent for sink in sinks]  # both took a share
    for s in range(6):
        of_subject = [i for i in got if events[int(i[-3:])].subject == f"{tag}s{s}"]
        assert of_subject == sorted(of_subject)
