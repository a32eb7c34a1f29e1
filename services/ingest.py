"""Events from other systems: checked against the catalog, logged once per (source, id).

A repeat is recognised in a read transaction, which never waits for a writer (WAL on SQLite, MVCC on
PostgreSQL): only a new event asks for the write lock. So a burst of retries of one event cannot queue
hundreds of writers on SQLite's single write lock and run into its busy timeout.
"""
from __future__ import annotations

from dataclasses import replace
from enum import Enum

from sqlalchemy.exc import DBAPIError

from data.db import is_lock_timeout
from domain.cloudevents import CloudEvent, InvalidEvent
from domain.events import idempotency_key
from services.clock import Clock, utc_now
from services.outbox import check_data, content_hash, event_type, to_record
from services.telemetry import NO_TELEMETRY, Telemetry

RETRY_AFTER_SECONDS = 1


class Outcome(str, Enum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class StoreBusy(Exception):
    """The store could not take the write lock in time; nothing was stored, the sender may retry."""

    retry_after = RETRY_AFTER_SECONDS


def check_external(event: CloudEvent) -> CloudEvent:
    etype = event_type(event.type)
    if not etype.external:
        raise InvalidEvent("type", f"{event.type} is produced by the cockpit itself, not accepted from other systems")
    check_data(event.type, event.data)
    if not event.idempotencykey:
        # The sender gave no key: (source, id) is its identity of the occurrence, so derive it from that.
        event = replace(event, idempotencykey=idempotency_key(event.source, event.id))
    return event


def ingest_events(uow, events: list[CloudEvent], clock: Clock = utc_now,
                  telemetry: Telemetry = NO_TELEMETRY) -> list[Outcome]:
    """Log checked events in one transaction: each new one is created, a repeat with the same content
    is a duplicate, a repeat with other content a conflict (and nothing of it is stored).
    Raises StoreBusy when the write lock could not be had in time."""
    try:
        with uow(write=False) as tx:
            known = [_known(tx, event) for event in events]
        if all(outcome is not None for outcome in known):
            return _counted(telemetry, events, known)
        return _counted(telemetry, events, _write_new(uow, events, known, clock()))
    except DBAPIError as exc:
        if is_lock_timeout(exc):
            raise StoreBusy(str(exc.orig)) from exc
        raise


def _counted(telemetry: Telemetry, events: list[CloudEvent], outcomes: list[Outcome]) -> list[Outcome]:
    for event, outcome in zip(events, outcomes):
        if outcome == Outcome.DUPLICATE:
            telemetry.event_deduplicated(event.type, "ingest")
    return outcomes


def _known(tx, event: CloudEvent) -> Outcome | None:
    """DUPLICATE or CONFLICT for an event logged already, None for a new one."""
    existing = tx.events.by_source_id(event.source, event.id)
    if existing is None:
        return None
    return Outcome.DUPLICATE if existing.content_hash == content_hash(event) else Outcome.CONFLICT


def _write_new(uow, events: list[CloudEvent], known: list[Outcome | None], now) -> list[Outcome]:
    outcomes = list(known)
    with uow() as tx:
        for i, event in enumerate(events):
            if outcomes[i] is not None:
                continue
            # Another request may have logged it since the read: the unique (source, id) decides.
            if tx.events.add(to_record(event, now)):
                outcomes[i] = Outcome.CREATED
            else:
                outcomes[i] = _known(tx, event) or Outcome.CONFLICT
        tx.commit()
    return outcomes
