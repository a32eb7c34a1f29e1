"""What the event API tests share: a live demo app per test module, and a sender that posts and reads
over HTTP, checks every answer (no 5xx, a problem body for every refusal, nothing refused logged) and
remembers what the answers accepted; plus builders of valid and hostile events."""
from __future__ import annotations

import json
import re
import uuid
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import func, select

from data.held_event_models import HeldEvent
from data.models import EventRecord
from services.outbox import SOURCE_PREFIX
from tests.conftest import serving_demo_app, wait_for

AUTH = {"Authorization": "Bearer test-token"}
STRUCTURED = {**AUTH, "Content-Type": "application/cloudevents+json"}
BATCH = {**AUTH, "Content-Type": "application/cloudevents-batch+json"}
REGISTERED, SAMPLE, REPLIED = (f"com.freshplan.{n}.v1" for n in ("lead.registered", "lead.sample_delivered",
                                                                   "followup.replied"))
TOO_EARLY, TOO_LATE = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("fuzz"), demo_leads=20) as served:
        yield served


class Sender:
    """Posts and reads over HTTP, checking every answer; remembers what the answers accepted."""

    def __init__(self, url: str, db):
        self.url, self.db = url, db
        self.baseline = self.logged()
        self.accepted: set[tuple[str, str]] = set()

    def logged(self) -> set[tuple[str, str]]:
        """(source, id) of every event from other systems (the cockpit's own come from its consumers)."""
        with self.db() as s:
            return set(s.execute(select(EventRecord.source, EventRecord.id)
                                 .where(EventRecord.source.not_like(SOURCE_PREFIX + "%"))).all())

    def post(self, body: bytes, headers: dict) -> requests.Response:
        before = self.logged()
        r = requests.post(f"{self.url}/api/events", data=body, headers=headers, timeout=60)
        assert r.status_code < 500, r.text
        added = self.logged() - before
        if r.status_code >= 400:
            assert r.headers["Content-Type"] == "application/problem+json", r.text
            assert added == set(), f"{r.status_code} yet logged {added}"
        else:
            answered = r.json().get("results", [r.json()])
            self.accepted |= {(x["source"], x["id"]) for x in answered if x["result"] in ("created", "duplicate")}
            assert added <= self.accepted
        return r

    def get(self, path: str, params: list[tuple[str, bytes]]) -> requests.Response:
        query = "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v, safe='')}" for k, v in params)
        r = requests.get(f"{self.url}{path}?{query}", headers=AUTH, timeout=60)
        assert r.status_code < 500, r.text
        return r


@pytest.fixture(scope="module")
def sender(server):
    return Sender(server[0].url, server[1].extensions["cockpit"].uow.session_factory)


def registered(**data) -> dict:
    """A valid lead.registered event with a new id; keywords change its data."""
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/crm/fuzz", "type": REGISTERED,
            "time": "2026-11-27T09:00:00Z", "data": {"company": "Gasthaus Fuzz", "business_type": "HOTEL",
                                                     "registered_at": "2026-11-27T09:00:00Z", **data}}


def nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def encoded(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # ASCII: lone surrogates travel as \ud800 escapes


def binary(event: dict, **changes) -> tuple[bytes, dict]:
    """The event in binary mode: data as the body, attributes as percent-encoded ce- headers (a name no
    header can carry is left out)."""
    attributes = {**{k: v for k, v in event.items() if k != "data"}, **changes}
    return encoded(event["data"]), {**AUTH, "Content-Type": "application/json", **{
        f"ce-{k}": quote(str(v).encode("utf-8", "surrogatepass"), safe="") for k, v in attributes.items()
        if HEADER_NAME.fullmatch(k)}}


def structured(event: dict, **changes) -> tuple[bytes, dict]:
    return encoded({**event, **changes}), STRUCTURED




def assert_accepted_and_applied(server, sender: Sender) -> None:
    """What the answers accepted is what the log holds, and the relay delivered all of it without
    holding an event back for a failing consumer; the projection takes every one of them."""
    assert sender.logged() - sender.baseline == sender.accepted
    undelivered = select(func.count()).select_from(EventRecord).where(EventRecord.delivered_at.is_(None))
    assert wait_for(lambda: sender.db().scalar(undelivered) == 0, timeout=60), "the relay did not deliver every event"
    with sender.db() as s:
        held = s.execute(select(HeldEvent.consumer, HeldEvent.last_error)).all()
    assert held == [], f"a consumer failed on an accepted event: {held[:3]}"
    server[1].extensions["analytics_projection"].catch_up()  # raises if the projection cannot take an event
