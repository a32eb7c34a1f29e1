"""Whatever a sender posts to the event API, or a script asks of the CSV export: property-based fuzzing
(Hypothesis) of every mode over HTTP against a live demo app. No answer is a 5xx, nothing refused
reaches the log, and after all of it the log holds exactly what was accepted and every consumer applied
it. The known hostile cases are in test_events_hostile.py."""
from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.events import BUSINESS_TYPES, LABELS
from services.exports import TABLES
from tests.integration.events_sender import (BATCH, REGISTERED, REPLIED, SAMPLE, STRUCTURED, TOO_EARLY,  # noqa: F401
                                             TOO_LATE, assert_accepted_and_applied, binary, encoded, nested,
                                             sender, server)

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# The live app's own threads (relay backoff jitter) draw from `random` while Hypothesis generates.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")




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
    assert_accepted_and_applied(server, sender)
