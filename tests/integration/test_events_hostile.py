"""Hostile input to the event API and the CSV export, one known case at a time, over HTTP against a
live demo app: each gets 400 naming what is wrong, nothing refused reaches the log, a batch is all or
nothing, and nothing accepted breaks a consumer afterwards (README "What a sender can expect")."""
from __future__ import annotations

import pytest

from tests.integration.events_sender import (BATCH, SAMPLE, STRUCTURED, TOO_EARLY, TOO_LATE,  # noqa: F401
                                             REPLIED, assert_accepted_and_applied, binary, encoded, nested,
                                             registered, sender, server, structured)

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




@pytest.mark.parametrize("extra", [{"template_version": 2**40}, {"template_version": "99999999999"},
                                   {"customer_id": 10**30}], ids=str)
def test_a_field_the_analytics_projection_reads_cannot_stall_it(server, sender, extra):
    """Extra data fields are allowed on the external types, and the projection reads these into INTEGER
    and BIGINT columns: out of range they must be refused here or left out there, never stop analytics."""
    assert sender.post(encoded(registered(**extra)), STRUCTURED).status_code in (202, 400)
    server[1].extensions["analytics_projection"].catch_up()


def test_the_log_holds_exactly_the_accepted_events_and_every_consumer_applied_them(server, sender):
    assert_accepted_and_applied(server, sender)
