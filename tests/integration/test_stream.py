"""GET /stream/cockpit over HTTP: snapshot on connect, push after an event, scope, the stream cap."""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import select

from data.models import Lead, User
from tests.conftest import LiveServer, make_settings, shutdown
from tests.http_helpers import sign_in

EVENTS_HEADERS = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from app import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("stream"), demo_leads=60, sse_max_streams=3,
                                   sse_heartbeat_s=0.3, sse_debounce_ms=100, analytics_poll_s=0.2))
    live = LiveServer(app)
    yield live.url, app
    all_closed(app)
    live.close()
    shutdown(app)


def all_closed(app, timeout: float = 3.0) -> None:
    """Wait until the server noticed every closed client (one heartbeat each)."""
    slots, deadline = app.extensions["sse"]["slots"], time.monotonic() + timeout
    while slots.open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert slots.open == 0, f"{slots.open} stream slot(s) still held"


class Stream:
    """An open stream read in a background thread: snapshots land in a queue."""

    def __init__(self, session: requests.Session, url: str, **params):
        self.response = session.get(f"{url}/stream/cockpit", params=params, stream=True, timeout=10)
        self.snapshots: queue.Queue = queue.Queue()
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    self.snapshots.put(json.loads(line[6:]))
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def next(self, timeout: float = 3.0) -> dict:
        return self.snapshots.get(timeout=timeout)

    def close(self) -> None:
        self.response.close()


def _user_and_lead(app, username: str) -> tuple[int, int]:
    with app.extensions["cockpit"].uow.session_factory() as s:
        user = s.scalar(select(User).where(User.username == username))
        lead = s.scalar(select(Lead).where(Lead.owner_id == user.id).limit(1))
        return user.id, lead.id


def post_reply(url: str, lead_id: int, label: str = "POSITIVE") -> None:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"specversion": "1.0", "id": f"reply-{uuid.uuid4().hex}", "source": "/mail/test",
             "type": "com.freshplan.followup.replied.v1", "time": now, "subject": f"lead/{lead_id}",
             "data": {"lead_id": lead_id, "replied_at": now, "label": label, "text": "Gern, bitte Angebot."}}
    r = requests.post(f"{url}/api/events", data=json.dumps(event), headers=EVENTS_HEADERS, timeout=10)
    assert r.status_code in (200, 201, 202), r.text


def test_snapshot_on_connect_then_a_push_after_an_event_in_scope(served):
    url, app = served
    sales_id, lead_id = _user_and_lead(app, "sales")
    stream = Stream(sign_in(url, "sales"), url, period="today")
    try:
        first = stream.next()
        assert first["title"] == "My follow-ups" and first["member_id"] == sales_id
        before = first["metrics"]["replies"]["value"]
        started = time.monotonic()
        post_reply(url, lead_id)
        pushed = stream.next(timeout=3)
        assert time.monotonic() - started < 1.5
        assert pushed["metrics"]["replies"]["value"] == before + 1
        assert pushed["metrics"]["positive"]["value"] == first["metrics"]["positive"]["value"] + 1
        assert pushed["recent"][0]["lead_id"] == lead_id
    finally:
        stream.close()


def test_another_sales_user_gets_no_push_and_not_the_others_numbers(served):
    url, app = served
    _sales_id, lead_id = _user_and_lead(app, "sales")
    sales2_id, _ = _user_and_lead(app, "sales2")
    other = Stream(sign_in(url, "sales2"), url, period="today", team="999", member=str(_sales_id))
    try:
        first = other.next()
        assert first["member_id"] == sales2_id  # foreign team and member ids collapse to the caller's own
        assert all(row["lead_id"] != lead_id for row in first["recent"])
        post_reply(url, lead_id, label="NEUTRAL")
        with pytest.raises(queue.Empty):
            other.next(timeout=1.2)
    finally:
        other.close()


def test_anonymous_gets_401_and_bad_parameters_400(served):
    url, _app = served
    assert requests.get(f"{url}/stream/cockpit", timeout=5).status_code == 401
    session = sign_in(url, "manager")
    bad = session.get(f"{url}/stream/cockpit", params={"period": "year"}, timeout=5)
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("application/problem+json")
    assert session.get(f"{url}/stream/cockpit", params={"team": "x1"}, timeout=5).status_code == 400


def sse_clients_metric(url: str) -> float:
    text = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer test-metrics"}, timeout=10).text
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith("sse_clients")))


def test_the_cap_answers_503_with_retry_after_and_a_closed_stream_frees_its_slot(served):
    url, app = served
    all_closed(app)
    session = sign_in(url, "manager")
    streams = [Stream(session, url) for _ in range(3)]
    try:
        assert [s.response.status_code for s in streams] == [200, 200, 200]
        assert sse_clients_metric(url) == 3  # what Prometheus scrapes
        refused = session.get(f"{url}/stream/cockpit", timeout=5)
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
        streams.pop().close()
        deadline = time.monotonic() + 3  # freed within one heartbeat (0.3 s here), with margin
        while True:
            again = Stream(session, url)
            if again.response.status_code == 200:
                streams.append(again)
                break
            assert time.monotonic() < deadline, "the closed stream's slot was not freed"
            time.sleep(0.1)
    finally:
        for s in streams:
            s.close()


@pytest.mark.postgres
def test_on_postgresql_a_stream_on_one_process_hears_an_event_written_through_another(pg_url, tmp_path):
    """Two apps on one database, each with its own DuckDB replica: B takes the event, A's stream pushes it."""
    from app import create_app

    def build(name):
        app = create_app(make_settings(tmp_path / name, demo_leads=30, database_url=pg_url, analytics_poll_s=30,
                                       sse_heartbeat_s=0.3))
        return app, LiveServer(app)

    (app_a, live_a), (app_b, live_b) = build("a"), build("b")
    try:
        assert app_a.extensions["cockpit"].warehouse.path != app_b.extensions["cockpit"].warehouse.path
        _sales_id, lead_id = _user_and_lead(app_a, "sales")
        stream = Stream(sign_in(live_a.url, "sales"), live_a.url, period="today")
        try:
            before = stream.next()["metrics"]["replies"]["value"]
            post_reply(live_b.url, lead_id)  # the poll is 30 s: only NOTIFY can wake A in time
            assert stream.next(timeout=3)["metrics"]["replies"]["value"] == before + 1
        finally:
            stream.close()
        all_closed(app_a)
    finally:
        for live, app in ((live_a, app_a), (live_b, app_b)):
            live.close()
            shutdown(app)


def test_a_change_after_a_quiet_spell_is_pushed_at_once_and_a_burst_at_most_once_per_window(tmp_path):
    """Debounce on the leading edge: the first reply is not held back for the window (2 s here, wide so
    that a slow machine still tells the two apart); the four that follow it arrive as one more push."""
    from app import create_app

    app = create_app(make_settings(tmp_path, demo_leads=30, sse_debounce_ms=2000, sse_heartbeat_s=1,
                                   analytics_poll_s=0.2))
    live = LiveServer(app)
    try:
        _sales_id, lead_id = _user_and_lead(app, "sales")
        stream = Stream(sign_in(live.url, "sales"), live.url, period="today")
        try:
            before = stream.next()["metrics"]["replies"]["value"]
            time.sleep(2.1)  # a quiet spell longer than the window since the push on connect
            started = time.monotonic()
            post_reply(live.url, lead_id, label="NEUTRAL")
            pushes = [stream.next(timeout=3)]
            first_after = time.monotonic() - started
            for _ in range(4):
                post_reply(live.url, lead_id, label="NEUTRAL")
            posting = time.monotonic() - started
            while pushes[-1]["metrics"]["replies"]["value"] < before + 5:
                pushes.append(stream.next(timeout=5))
            assert first_after < 2.0, f"the first push waited {first_after:.2f} s, as long as the window"
            assert len(pushes) <= 2 + int(posting / 2), f"{len(pushes)} pushes for 5 replies in {posting:.2f} s"
        finally:
            stream.close()
        all_closed(app, timeout=8)
    finally:
        live.close()
        shutdown(app)
