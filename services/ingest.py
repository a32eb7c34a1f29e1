"""Events from other systems: checked against the catalog, logged once per (source, id)."""
from __future__ import annotations

from dataclasses import replace
from enum import Enum

from domain.cloudevents import CloudEvent, InvalidEvent
from domain.events import idempotency_key
from services.clock import Clock, utc_now
from services.outbox import check_data, content_hash, event_type, to_record


class Outcome(str, Enum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


def check_external(event: CloudEvent) -> CloudEvent:
    etype = event_type(event.type)
    if not etype.external:
        raise InvalidEvent("type", f"{event.type} is produced by the cockpit itself, not accepted from other systems")
    check_data(event.type, event.data)
    if not event.idempotencykey:
        # The sender gave no key: (source, id) is its identity of the occurrence, so derive it from that.
        event = replace(event, idempotencykey=idempotency_key(event.source, event.id))
    return event


def ingest_events(uow, events: list[CloudEvent], clock: Clock = utc_now) -> list[Outcome]:
    """Log checked events in one transaction: each new one is created, a repeat with the same content
    is a duplicate, a repeat with other content a conflict (and nothing of it is stored)."""
    now = clock()
    outcomes = []
    with uow() as tx:
        for event in events:
            if tx.events.add(to_record(event, now)):
                outcomes.append(Outcome.CREATED)
                continue
            existing = tx.events.by_source_id(event.source, event.id)
            same = existing is not None and existing.content_hash == content_hash(event)
            outcomes.append(Outcome.DUPLICATE if same else Outcome.CONFLICT)
        tx.commit()
    return outcomes
