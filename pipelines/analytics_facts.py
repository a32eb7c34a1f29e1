"""The analytics projection's rows: an OLTP event as a row of the DuckDB fact table (schema.sql
`events`), and a lead.created as the link that gives a registration from another system its lead.
Whatever an event's data holds, it becomes a row: one odd event never stops the projection."""
from __future__ import annotations

import logging
import re

from data.duckdb_feed import LeadFacts, LoggedEvent
from data.duckdb_replica import naive_utc
from domain.events import PREFIX

log = logging.getLogger("pipelines.analytics_projection")
VERSION_SUFFIX = re.compile(r"\.v\d+$")
NO_LEAD = LeadFacts(None, None, None, None)


def short_type(type_: str) -> str:
    """'com.freshplan.followup.sent.v1' -> 'followup.sent'; foreign types stay as they came."""
    if not type_.startswith(PREFIX):
        return type_
    return VERSION_SUFFIX.sub("", type_[len(PREFIX):])


def lead_id_of(event: LoggedEvent) -> int | None:
    """data.lead_id, else the number the subject ends with ('lead/42' or '42')."""
    value = event.data.get("lead_id") if isinstance(event.data, dict) else None
    if value is None and event.subject:
        value = event.subject.rsplit("/", 1)[-1]
    try:
        number = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number < 2 ** 63 else None  # a BIGINT, or no lead


def fact_row(event: LoggedEvent, lead_id: int | None, lead: LeadFacts) -> tuple:
    """One row of the DuckDB `events` table (data/sql/schema.sql, FACT_COLUMNS order)."""
    data, kind = event.data if isinstance(event.data, dict) else {}, short_type(event.type)
    volume = data.get("volume", lead.estimated_volume) if kind == "customer.converted" else data.get("volume")
    return (event.seq, event.event_id, event.source, kind, naive_utc(event.time), lead_id, lead.owner_id,
            lead.team_id, lead.business_type, data.get("step"), _text(data.get("template_id", data.get("template"))),
            _number(data.get("template_version"), int, 2.0 ** 31), data.get("variant"), data.get("label"),
            _number(data.get("customer_id"), int), _number(data.get("revenue"), float, 1e300), _number(volume, float, 1e300))


def link_row(event: LoggedEvent, lead: LeadFacts) -> tuple | None:
    """A lead.created as a `links` row (data/duckdb_replica.py LINK_COLUMNS): the registration it names
    gets this lead's facts. None for one that names no registration."""
    data = event.data if isinstance(event.data, dict) else {}
    lead_id = lead_id_of(event)
    if lead_id is None or not data.get("registered_source") or not data.get("registered_id"):
        return None
    return clean_row((str(data["registered_source"]), str(data["registered_id"]), lead_id, lead.owner_id,
                      lead.team_id, lead.business_type))


def safe_fact_row(event: LoggedEvent, lead_id: int | None, lead: LeadFacts) -> tuple:
    """`fact_row`, or for an event whose data it cannot read, a row with what the envelope says (it
    still counts by type and time): one odd event never stops the projection."""
    try:
        return clean_row(fact_row(event, lead_id, lead))
    except Exception as exc:  # noqa: BLE001 - logged; the event is kept with its envelope
        log.warning("analytics: event %s (seq %d) projected without its data: %s", event.event_id, event.seq, exc)
        return clean_row((event.seq, event.event_id, event.source, short_type(event.type), naive_utc(event.time),
                          *[None] * 12))


def clean_row(row: tuple) -> tuple:
    """Text that cannot be stored as UTF-8 (a lone surrogate in an old event) is stored with a "?" there."""
    return tuple(v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) and not v.isascii() else v
                 for v in row)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _number(value, kind, bound: float = 2.0 ** 63):
    """The value as `kind` when it fits its DuckDB column (INTEGER: bound 2^31, BIGINT 2^63, DOUBLE
    finite); anything else is no value, so one odd field cannot make DuckDB refuse the whole batch."""
    try:
        number = None if value is None else kind(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is None or abs(number) < bound else None
