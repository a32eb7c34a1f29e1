"""Whatever a sender posts to the event API, or a script asks of the CSV export, over HTTP against a
live demo app: no answer is a 5xx, nothing refused reaches the log, a batch is all or nothing, and
nothing accepted breaks a consumer afterwards (README "What a sender can expect").

The explicit hostile list comes first, then property-based fuzzing (Hypothesis) of every mode, then
the log and the consumers are checked after all of it.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data.held_event_models import HeldEvent
from data.models import EventRecord
from domain.events import BUSINESS_TYPES, LABELS
from services.exports import TABLES
from services.outbox import SOURCE_PREFIX
from tests.conftest import serving_demo_app, wait_for

AUTH = {"Authorization": "Bearer test-token"}
STRUCTURED = {**AUTH, "Content-Type": "application/cloudevents+json"}
BATCH = {**AUTH, "Content-Type": "application/cloudevents-batch+json"}
REGISTERED, SAMPLE, REPLIED = (f"com.freshplan.{n}.v1" for n in ("lead.registered", "lead.sample_delivered",
                                                                   "followup.replied"))
TOO_EARLY, TOO_LATE = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# The live app's own threads (relay backoff jitter) draw from `random` while Hypothesis generates.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


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


SAMPLE_AT = {**registered(), "type": SAMPLE, "data": {"lead_id": 1, "delivered_at": "2026-11-27T09:00:00Z"}}
HOSTILE = {  # what: (body, headers, the attribute the 400 names)
    "time year 1 +14:00": (*structured(registered(), time=TOO_EARLY), "time"),
    "time year 9999 -14:00": (*structured(registered(), time=TOO_LATE), "time"),
    "time not text": (*structured(registered(), time=1764234000), "time"),
    "ce-time year 1": (*binary(registered(), time=TOO_EARLY), "time"),
    "ce-time year 9999": (*binary(registered(), time=TOO_LATE), "time"),
    "data.registered_at 9999": (*structured(registered(registered_at=TOO_LATE)), "data.registered_at"),
    "data.delivered_at year 1": (*structured(SAMPLE_AT, data={"lead_id": 1, "delivered_at": TOO_EARLY}), "data.delivered_at"),
    "data.replied_at 9999": (*structured(SAMPLE_AT, type=REPLIED, data={"replied_at": TOO_LATE}), "data.replied_at"),
    **{f"surrogate in {a}": (*structured(registered(), **{a: "x\ud800"}), a) for a in ("id", "source", "subject", "type")},
    "surrogate in an extension": (*structured(registered(), traceid="\udfff"), "traceid"),
    "surrogate in data.company": (*structured(registered(company="Caf\udce9")), "data.company"),
    "surrogate in binary data": (*binary(registered(company="\ud800")), "data.company"),
    "NUL in data.city": (*structured(registered(city="Bad\x00Ems")), "data.city"),
    "NaN in data": (*structured(registered(revenue=float("nan"))), "data.revenue"),
    "data nested 33 deep": (*structured(registered(notes=nested(32))), "data.notes"),
    "data nested 500 deep": (*structured(registered(notes=nested(500))), "body"),
    "extension nested 500 deep": (*structured(registered(), trace=nested(500)), "body"),
    "binary data 500 deep": (encoded(nested(500)), binary(registered())[1], "data"),
    "a batch of 100,000 [": (b"[" * 100_000, BATCH, "body"),
    "an event of 100,000 {": (b'{"a":' * 100_000, STRUCTURED, "body"),
    "a 5000-digit number": (b'{"specversion":"1.0","id":"n","source":"/s","type":"t","data":' + b"9" * 5000 + b"}",
                            STRUCTURED, "body"),
    "company longer than its column": (*structured(registered(company="x" * 201)), "data.company"),
    "contact_name longer than its column": (*structured(registered(contact_name="x" * 121)), "data.contact_name"),
    "estimated_volume beyond INTEGER": (*structured(registered(estimated_volume=2**31)), "data.estimated_volume"),
    "lead_id beyond BIGINT": (*structured(SAMPLE_AT, data={**SAMPLE_AT["data"], "lead_id": 2**64}), "data.lead_id"),
    "idempotencykey longer than its column": (*structured(registered(), idempotencykey="k" * 201), "idempotencykey"),
    "the cockpit's own source": (*structured(registered(), source="/followup-cockpit/leads"), "source"),
}


@pytest.mark.parametrize("what", HOSTILE)
def test_a_hostile_event_is_refused_naming_the_attribute(sender, what):
    body, headers, attribute = HOSTILE[what]
    r = sender.post(body, headers)
    assert r.status_code == 400 and r.json()["attribute"].startswith(attribute), r.text


@pytest.mark.parametrize("path,params,parameter", [
    ("/api/events", [("since", TOO_LATE.encode())], "since"), ("/api/events", [("since", TOO_EARLY.encode())], "since"),
    ("/api/events", [("since", b"\xed\xa0\x80")], "since"), ("/api/events", [("limit", b"9" * 5000)], "limit"),
    ("/api/events", [("limit", "\u0661".encode())], "limit"), ("/api/events", [("type", b"a\x00b")], "type"),
    ("/api/events", [("subject", b"s" * 201)], "subject"), ("/export/leads.csv", [("team", "\u00b2".encode())], "team"),
    ("/export/funnel.csv", [("period", b"custom"), ("from", b"2026-01-01"), ("to", b"9999-12-31")], "to"),
    ("/export/leads.csv", [("period", b"custom"), ("from", b"0001-01-01"), ("to", b"2026-01-01")], "from"),
])
def test_a_hostile_query_gets_400_naming_the_parameter(sender, path, params, parameter):
    r = sender.get(path, params)
    assert r.status_code == 400 and r.json()["parameter"] == parameter, r.text
    assert r.headers["Content-Type"] == "application/problem+json"


def test_a_batch_with_an_invalid_item_stores_nothing_and_names_each_item(sender):
    good, bad = registered(), registered(company="x" * 201)
    r = sender.post(encoded([good, bad]), BATCH)
    assert r.status_code == 400 and r.json()["attribute"] == "[1].data.company"
    assert r.json()["results"] == [
        {"index": 0, "source": good["source"], "id": good["id"], "result": "not_stored"},
        {"index": 1, "result": "invalid", "status": 400, "attribute": "data.company", "reason": r.json()["results"][1]["reason"]}]


def test_a_batch_with_a_conflict_stores_nothing(sender):
    a, b = registered(), registered()
    r = sender.post(encoded([a, b, {**b, "data": {**b["data"], "company": "Other content"}}]), BATCH)
    assert r.status_code == 409, r.text
    assert [(x["index"], x["result"]) for x in r.json()["results"]] == [(0, "not_stored"), (1, "not_stored"), (2, "conflict")]
    assert r.json()["results"][2]["status"] == 409
    assert {(a["source"], a["id"]), (b["source"], b["id"])} & sender.logged() == set()


# Property-based fuzzing: mostly plausible events (so the consumers get work), each part sometimes hostile.

ANY_TEXT = st.text(st.characters() | st.integers(0xD800, 0xDFFF).map(chr), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "x" * 201, "x" * 1001, "\ud800", "%E0%A4%A", TOO_EARLY, TOO_LATE])
CLEAN = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=40).filter(str.strip)
OFFSETS = st.sampled_from(["Z", "+14:00", "-14:00", "+01:00", "-00:30"])
PLAUSIBLE_TIME = st.builds("{}{}".format, st.datetimes(datetime(1971, 1, 1), datetime(2199, 1, 1)).map(datetime.isoformat), OFFSETS)
TIMES = (st.sampled_from([TOO_EARLY, TOO_LATE, "1969-12-31T23:59:59Z", "2200-01-01T00:00:01Z", "2200-01-01T00:00:00Z",
                          "1970-01-01T00:00:00Z", "2026-11-27T09:00:00"])
         | st.builds("{}{}".format, st.datetimes().map(datetime.isoformat), OFFSETS) | ANY_TEXT)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
                    max_leaves=8) | st.integers(25, 40).map(nested)
CLEAN_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                          | CLEAN, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CLEAN, inner, max_size=3),
                          max_leaves=6)


def mostly(valid, hostile=JSON):
    """The valid value nine times in ten; shrinking (towards 0) keeps a failing example's other parts valid."""
    return st.integers(0, 9).flatmap(lambda n: hostile if n == 1 else valid)


# Fields any event's data may carry that the analytics projection reads into its columns.
PROJECTED = st.sampled_from(["step", "variant", "label", "template_id", "template_version", "customer_id", "revenue",
                             "volume", "lead_id"])
EXTRA = mostly(st.dictionaries(PROJECTED, CLEAN_JSON, max_size=2), st.dictionaries(PROJECTED | ANY_TEXT, JSON, max_size=2))
LEAD_ID, EMAIL = mostly(st.integers(1, 40)), mostly(st.emails())
DATA = {
    REGISTERED: st.fixed_dictionaries(
        {"company": mostly(CLEAN), "business_type": mostly(st.sampled_from(BUSINESS_TYPES)),
         "registered_at": mostly(PLAUSIBLE_TIME, TIMES)},
        optional={"email": EMAIL, "owner": mostly(st.sampled_from(["sales", "manager", "nobody"])), "city": mostly(CLEAN),
                  "phone": mostly(CLEAN), "estimated_volume": mostly(st.integers(0, 10**6)),
                  "score": mostly(st.integers(0, 100)), "lead_id": LEAD_ID}),
    SAMPLE: st.fixed_dictionaries({"delivered_at": mostly(PLAUSIBLE_TIME, TIMES)}, optional={"lead_id": LEAD_ID, "email": EMAIL}),
    REPLIED: st.fixed_dictionaries(
        {"replied_at": mostly(PLAUSIBLE_TIME, TIMES)},
        optional={"lead_id": LEAD_ID, "text": mostly(st.text(max_size=80)), "label": mostly(st.sampled_from(LABELS + [None])),
                  "step": mostly(st.sampled_from(["T3", "T7", None])), "confidence": mostly(st.floats(0, 1) | st.none())}),
}
OPTIONAL = {"time": mostly(PLAUSIBLE_TIME, TIMES), "subject": mostly(CLEAN), "idempotencykey": mostly(CLEAN),
            "datacontenttype": mostly(st.just("application/json"), ANY_TEXT), "traceid": mostly(CLEAN_JSON)}


@st.composite
def events(draw) -> dict:
    type_ = draw(mostly(st.sampled_from(list(DATA)), ANY_TEXT))
    body = {"specversion": draw(mostly(st.just("1.0"))), "type": type_,
            "data": {**draw(DATA.get(type_, DATA[REGISTERED])), **draw(EXTRA)},
            "id": draw(mostly(st.builds(lambda: uuid.uuid4().hex), ANY_TEXT | st.sampled_from(["dup-1", "dup-2"]))),
            "source": draw(mostly(CLEAN.map(lambda s: "/fuzz/" + s), ANY_TEXT.filter(lambda s: not s.startswith("/f"))))}
    for name in draw(st.sets(st.sampled_from(sorted(OPTIONAL)), max_size=3)):
        body[name] = draw(OPTIONAL[name])
    if draw(st.integers(0, 9)) == 1:
        body[draw(ANY_TEXT)] = draw(JSON)  # an attribute name of any kind
    return body


RAW = st.binary(max_size=60) | st.integers(30, 100_000).map(lambda n: b"[" * n)
QUERY_VALUE = (ANY_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")) | st.binary(max_size=20)
               | st.integers().map(lambda n: str(n).encode()) | TIMES.map(lambda s: s.encode("utf-8", "surrogatepass")))


@FUZZ
@given(body=mostly(events().map(encoded), RAW))
def test_fuzz_structured_mode(sender, body):
    sender.post(body, STRUCTURED)


@FUZZ
@given(event=events(), raw=mostly(st.none(), RAW),
       # Any printable value an HTTP client can send (no leading or trailing blank: clients refuse those).
       content_type=mostly(st.just("application/json"),
                           st.text(st.characters(min_codepoint=32, max_codepoint=126)).map(str.strip)))
def test_fuzz_binary_mode(sender, event, raw, content_type):
    body, headers = binary(event)
    sender.post(body if raw is None else raw, {**headers, "Content-Type": content_type})


@FUZZ
@given(body=mostly(st.lists(events(), max_size=4).map(encoded), RAW))
def test_fuzz_batch_mode(sender, body):
    r = sender.post(body, BATCH)
    if r.status_code in (400, 409) and "results" in r.json():
        assert all(x["result"] != "created" for x in r.json()["results"])


@FUZZ
@given(params=st.lists(st.tuples(st.sampled_from(["since", "limit", "type", "subject"]) | ANY_TEXT, QUERY_VALUE), max_size=4))
def test_fuzz_log_query(sender, params):
    assert sender.get("/api/events", params).status_code in (200, 400)


DAYS = (st.dates().map(lambda d: d.isoformat().encode())
        | st.sampled_from([b"0001-01-01", b"9999-12-31", b"1970-01-01", b"2200-01-01", b"2026-02-29"]))
IDS = st.integers(-1, 10**13).map(lambda n: str(n).encode()) | st.sampled_from(["\u00b2", "\u0661", "1_0", " 1"]).map(str.encode)
EXPORT_FILTERS = st.fixed_dictionaries({}, optional={
    "period": mostly(st.sampled_from([b"custom", b"custom", b"7d", b"month", b"last_month", b"365d"]), QUERY_VALUE),
    "from": mostly(DAYS, QUERY_VALUE), "to": mostly(DAYS, QUERY_VALUE), "team": IDS | QUERY_VALUE, "user": IDS,
    "business_type": mostly(st.sampled_from([b"HOTEL", b"CANTEEN"]), QUERY_VALUE),
    "step": mostly(st.sampled_from([b"T3", b"T7"]), QUERY_VALUE), "template": QUERY_VALUE,
    "sort": mostly(st.sampled_from([b"seq", b"time", b"registered_at", b"revenue", b"week", b"verdict"]), QUERY_VALUE),
    "order": mostly(st.sampled_from([b"asc", b"desc"]), QUERY_VALUE)}).map(lambda d: list(d.items()))


@FUZZ
@given(table=mostly(st.sampled_from(TABLES), ANY_TEXT.filter(lambda s: not set(s) & set("/?#."))),
       params=EXPORT_FILTERS, extra=st.lists(st.tuples(ANY_TEXT, QUERY_VALUE), max_size=1))
def test_fuzz_export_query(sender, table, params, extra):
    r = sender.get(f"/export/{quote(table.encode('utf-8', 'surrogatepass'), safe='')}.csv", params + extra)
    assert r.status_code in (200, 400, 404)


def test_the_log_holds_exactly_the_accepted_events_and_every_consumer_applied_them(server, sender):
    """After all of the above: what the answers accepted is what the log holds, and the relay delivered
    all of it without holding an event back for a failing consumer."""
    assert sender.logged() - sender.baseline == sender.accepted
    undelivered = select(func.count()).select_from(EventRecord).where(EventRecord.delivered_at.is_(None))
    assert wait_for(lambda: sender.db().scalar(undelivered) == 0, timeout=60), "the relay did not deliver every event"
    with sender.db() as s:
        held = s.execute(select(HeldEvent.consumer, HeldEvent.last_error)).all()
    assert held == [], f"a consumer failed on an accepted event: {held[:3]}"
    server[1].extensions["analytics_projection"].catch_up()  # raises if the projection cannot take an event


@pytest.mark.parametrize("extra", [{"template_version": 2**40}, {"template_version": "99999999999"},
                                   {"customer_id": 10**30}], ids=str)
def test_a_field_the_analytics_projection_reads_cannot_stall_it(server, sender, extra):
    """Extra data fields are allowed on the external types, and the projection reads these into INTEGER
    and BIGINT columns: out of range they must be refused here or left out there, never stop analytics."""
    assert sender.post(encoded(registered(**extra)), STRUCTURED).status_code in (202, 400)
    server[1].extensions["analytics_projection"].catch_up()
