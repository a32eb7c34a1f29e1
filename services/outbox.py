"""Writing events: validated against the catalog, stored in the caller's transaction (the outbox)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker

from data.models import EventRecord
from domain.cloudevents import KEY, CloudEvent, InvalidEvent, parse_time
from domain.events import BY_TYPE, EVENT_TYPES, EventType, idempotency_key

SOURCE_PREFIX = "/followup-cockpit/"
_formats = FormatChecker()


@_formats.checks("date-time", raises=InvalidEvent)
def _is_datetime(value) -> bool:
    return not isinstance(value, str) or parse_time(value) is not None


def _fast_datetime(value) -> bool:
    try:
        return _is_datetime(value)
    except InvalidEvent:
        return False


# Compiled once: the fast validator clears valid data in microseconds; only data it refuses goes to
# jsonschema, which names the field (and has the last word, so both never disagree on what passes).
_FAST = {e.type: fastjsonschema.compile(e.schema, formats={"date-time": _fast_datetime}) for e in EVENT_TYPES}
_VALIDATORS = {e.type: Draft202012Validator(e.schema, format_checker=_formats) for e in EVENT_TYPES}


def event_type(type_: str) -> EventType:
    found = BY_TYPE.get(type_)
    if found is None:
        raise InvalidEvent("type", f"{type_!r} is not in the event catalog (GET /api/events/catalog)")
    return found


def check_data(type_: str, data: object) -> None:
    """Raise InvalidEvent naming the first field of `data` that breaks the type's schema."""
    try:
        _FAST[event_type(type_).type](data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    error = next(iter(sorted(_VALIDATORS[event_type(type_).type].iter_errors(data), key=str)), None)
    if error is not None:
        where = "data" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise InvalidEvent(where, error.message)


def content_hash(event: CloudEvent) -> str:
    return hashlib.sha256(json.dumps(event.to_json(), sort_keys=True, default=str).encode()).hexdigest()


def to_row(event: CloudEvent, recorded_at: datetime, digest: str | None = None) -> dict:
    """The events table's columns of one event (for set-based inserts); `digest`: its content_hash, if known."""
    return {"id": event.id, "source": event.source, "type": event.type, "subject": event.subject,
            "time": event.time or recorded_at, "idempotency_key": event.idempotencykey,
            "datacontenttype": event.datacontenttype, "data": event.data, "extensions": event.extensions or None,
            "content_hash": digest or content_hash(event), "recorded_at": recorded_at, "attempts": 0}


def to_record(event: CloudEvent, recorded_at: datetime) -> EventRecord:
    return EventRecord(**to_row(event, recorded_at))


def from_record(r: EventRecord) -> CloudEvent:
    return CloudEvent(id=r.id, source=r.source, type=r.type, time=r.time, data=r.data, subject=r.subject,
                      datacontenttype=r.datacontenttype, idempotencykey=r.idempotency_key, extensions=r.extensions or {})


def lead_subject(lead_id: int | None) -> str | None:
    """The subject of every event about one lead: the relay keeps order per subject, so all producers
    must spell it the same way."""
    return None if lead_id is None else f"lead/{lead_id}"


def _own_event(type_: str, producer: str, subject: str | None, data: dict, facts: tuple, time: datetime) -> CloudEvent:
    """An event of the cockpit's own, checked against the catalog; its id is the idempotency key of the
    business facts, so producing the same occurrence twice logs it once."""
    check_data(type_, data)
    key = idempotency_key(type_, *facts)
    return CloudEvent(id=key, source=SOURCE_PREFIX + producer, type=type_, time=time, data=data, subject=subject,
                      idempotencykey=key)


def publish_many(tx, type_: str, *, producer: str, items: list[tuple[str | None, dict, tuple, datetime]]) -> None:
    """`publish` for a batch of (subject, data, facts, time) of one type, in one statement; repeats are skipped."""
    tx.events.add_many([to_row(_own_event(type_, producer, subject, data, facts, time), time)
                        for subject, data, facts, time in items])


def publish(tx, type_: str, *, producer: str, subject: str | None, data: dict, facts: tuple, time: datetime) -> CloudEvent:
    """Record an event in the transaction `tx` is in (see `_own_event` for its id)."""
    event = _own_event(type_, producer, subject, data, facts, time)
    tx.events.add(to_record(event, time))
    return event


__all__ = ["KEY", "publish", "publish_many", "lead_subject", "check_data", "event_type", "to_record", "to_row", "from_record", "content_hash"]
