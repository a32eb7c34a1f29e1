"""What a sender can post is bounded at the edge: times, text, nesting and lengths (README "Events").

Anything refused here would otherwise have been answered with a 500 or logged and then broken a
consumer at every relay pass (OverflowError, UnicodeEncodeError, RecursionError, a too-long column).
"""
from __future__ import annotations

import json
import time

import pytest

from domain.cloudevents import InvalidEvent, from_structured, parse_time
from runtime.heap import heap_frozen
from services.outbox import check_data
from web.cloudevents_http import BATCH, STRUCTURED, parse_request

REGISTERED = "com.freshplan.lead.registered.v1"


def event(**changes) -> dict:
    body = {"specversion": "1.0", "id": "crm-1", "source": "/crm", "type": REGISTERED,
            "data": {"company": "Hotel Alpenblick", "business_type": "HOTEL", "registered_at": "2026-11-27T09:00:00Z"}}
    body.update(changes)
    return body


def refused(check, *args) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        check(*args)
    return caught.value


def nested(depth: int, leaf=1):
    """`depth` lists inside each other, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# Time: 1970-01-01 .. 2200-01-01 at any offset, checked without overflowing at the ends of the calendar.

@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                   "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "2200-01-01T00:00:01Z"])
def test_a_time_outside_1970_to_2200_is_refused_whatever_its_offset(value):
    assert refused(parse_time, value).attribute == "time"
    assert refused(from_structured, event(time=value)).attribute == "time"
    for inside in ("1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00", "2200-01-01T00:00:00Z"):
        assert parse_time(inside).tzinfo is not None


def test_a_time_that_is_not_text_is_refused():
    assert refused(from_structured, event(time=1764234000)).attribute == "time"


@pytest.mark.parametrize("type_,field", [(REGISTERED, "registered_at"),
                                         ("com.freshplan.lead.sample_delivered.v1", "delivered_at"),
                                         ("com.freshplan.followup.replied.v1", "replied_at")])
def test_a_date_time_in_data_outside_the_range_names_the_field(type_, field):
    """The same check as the envelope's time, through the catalog schema's date-time format."""
    for value in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        data = {**event()["data"], "lead_id": 1, field: value}  # the other types take these as extra fields
        assert refused(check_data, type_, data).attribute == f"data.{field}"


# Text: every string, at any depth, must be storable (UTF-8, no NUL).

@pytest.mark.parametrize("attribute", ["id", "source", "subject", "type"])
def test_a_lone_surrogate_in_an_attribute_names_it(attribute):
    assert refused(from_structured, event(**{attribute: "crm-\ud800"})).attribute == attribute


def test_a_lone_surrogate_in_an_extension_or_in_data_names_where():
    assert refused(from_structured, event(traceid="\udfff")).attribute == "traceid"
    data = {**event()["data"], "company": "Caf\udce9"}
    assert refused(from_structured, event(data=data)).attribute == "data.company"
    deep = {**event()["data"], "notes": [{"ok": "fine"}, {"text": "\ud800"}]}
    assert refused(from_structured, event(data=deep)).attribute == "data.notes[1].text"
    assert refused(from_structured, event(data={**event()["data"], "k\ud800": 1})).attribute == "data"


def test_a_nul_character_is_refused_as_postgresql_cannot_store_it():
    assert refused(from_structured, event(id="crm\x001")).attribute == "id"
    assert refused(from_structured, event(data={**event()["data"], "company": "A\x00B"})).attribute == "data.company"


def test_the_same_surrogate_arrives_as_a_json_escape_and_is_refused():
    raw = json.dumps(event(data={**event()["data"], "company": "\ud800"})).encode()
    assert b"\\ud800" in raw  # valid JSON: the escape is legal, the character is not storable
    assert refused(parse_request, STRUCTURED, {}, raw).attribute == "data.company"


# Nesting: at most 32 levels in data and extensions, found without recursion.

def test_data_may_nest_32_levels_but_not_33():
    from_structured(event(data={**event()["data"], "deep": nested(31)}))
    assert refused(from_structured, event(data={**event()["data"], "deep": nested(32)})).attribute.startswith("data.deep")
    assert refused(from_structured, event(traceinfo=nested(33))).attribute.startswith("traceinfo")


def test_data_100000_levels_deep_is_refused_quickly():
    deep = event(data={"deep": nested(100_000)})
    with heap_frozen():  # the check's time, not a collection of everything this test session built
        started = time.monotonic()
        assert refused(from_structured, deep).attribute.startswith("data")
        assert time.monotonic() - started < 1


def test_a_body_of_100000_brackets_is_refused_before_it_is_parsed():
    headers = {"ce-specversion": "1.0", "ce-id": "x", "ce-source": "/crm", "ce-type": REGISTERED}
    with heap_frozen():
        started = time.monotonic()
        assert refused(parse_request, BATCH, {}, b"[" * 100_000).attribute == "body"
        assert refused(parse_request, STRUCTURED, {}, b'{"data":' + b"[" * 100_000).attribute == "body"
        assert refused(parse_request, "application/json", headers, b"{" * 100_000).attribute == "data"
        assert time.monotonic() - started < 1
    text = '\\"[{' * 200  # brackets in strings do not count, and escaped quotes do not end them
    body = event(data={**event()["data"], "notes": text})
    assert parse_request(STRUCTURED, {}, json.dumps(body).encode()).events[0].data["notes"] == text


def test_a_number_with_thousands_of_digits_is_refused_not_crashed_on():
    raw = b'{"specversion":"1.0","id":"x","source":"/crm","type":"t","data":{"n":' + b"9" * 5000 + b"}}"
    assert refused(parse_request, STRUCTURED, {}, raw).attribute == "body"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_numbers_must_be_finite(value):
    assert refused(from_structured, event(data={**event()["data"], "score": value})).attribute == "data.score"
    assert refused(from_structured, event(weight=value)).attribute == "weight"


# Lengths: every text ends up in a column or a consumer; longer than that is refused at the edge.

@pytest.mark.parametrize("field,column_length", [("company", 200), ("contact_name", 120), ("city", 80),
                                                 ("phone", 40), ("owner", 40)])
def test_lead_registered_texts_fit_their_lead_columns(field, column_length):
    data = event()["data"]
    check_data(REGISTERED, {**data, field: "x" * column_length})
    assert refused(check_data, REGISTERED, {**data, field: "x" * (column_length + 1)}).attribute == f"data.{field}"


@pytest.mark.parametrize("field,too_big", [("estimated_volume", 2**31), ("lead_id", 2**63)])
def test_lead_registered_numbers_fit_their_columns(field, too_big):
    data = event()["data"]
    check_data(REGISTERED, {**data, field: too_big - 1})
    assert refused(check_data, REGISTERED, {**data, field: too_big}).attribute == f"data.{field}"


def test_every_text_of_the_external_types_is_bounded():
    from domain.events import EVENT_TYPES

    unbounded = [(e.name, name) for e in EVENT_TYPES if e.external for name, prop in e.schema["properties"].items()
                 if "string" in str(prop.get("type")) and "maxLength" not in prop]
    assert unbounded == []


def test_envelope_texts_fit_their_columns():
    assert refused(from_structured, event(idempotencykey="k" * 201)).attribute == "idempotencykey"
    assert refused(from_structured, event(datacontenttype="application/" + "x" * 50 + "+json")).attribute == "datacontenttype"
    assert refused(from_structured, event(traceid="t" * 1001)).attribute == "traceid"
    assert refused(from_structured, event(sequence=2**31)).attribute == "sequence"  # CloudEvents Integer: 32 bits
    from_structured(event(idempotencykey="k" * 200, traceid="t" * 1000, sequence=2**31 - 1))


def test_an_extension_name_must_be_all_lowercase_letters_and_digits():
    assert refused(from_structured, event(**{"trace\n": "x"})).attribute == "trace\n"
