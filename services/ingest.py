"""Events from other systems: checked against the catalog, logged once per (source, id).

A repeat is recognised in a read transaction, which never waits for a writer (WAL on SQLite, MVCC on
PostgreSQL): only a new event asks for the write lock. So a burst of retries of one event cannot queue
hundreds of writers on SQLite's single write lock and run into its busy timeout.
"""
from __future__ import annotations

from dataclasses import replace
from enum import Enum

from data.errors import StoreError, WriteLockTimeout, is_lock_timeout
from domain.cloudevents import CloudEvent, InvalidEvent
from domain.events import idempotency_key
from services.clock import Clock, utc_now
from services.outbox import SOURCE_PREFIX, check_data, content_hash, event_type, to_row
from services.telemetry import NO_TELEMETRY, Telemetry

RETRY_AFTER_SECONDS = 1


class Outcome(str, Enum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    NOT_STORED = "not_stored"  # fine on its own, but another item of its batch conflicted: nothing was stored


class StoreBusy(Exception):
    """The store could not take the write lock in time; nothing was stored, the sender may retry."""

    retry_after = RETRY_AFTER_SECONDS


def check_external(event: CloudEvent) -> CloudEvent:
    etype = event_type(event.type)
    if not etype.external:
        raise InvalidEvent("type", f"{event.type} is produced by the cockpit itself, not accepted from other systems")
    if event.source.startswith(SOURCE_PREFIX):
        # The consumers skip the cockpit's own events (their change was made when they were logged):
        # a sender using this source would be logged and never applied.
        raise InvalidEvent("source", f"{SOURCE_PREFIX}... names the cockpit's own modules; use your system's source")
    check_data(event.type, event.data)
    if not event.idempotencykey:
        # The sender gave no key: (source, id) is its identity of the occurrence, so derive it from that.
        event = replace(event, idempotencykey=idempotency_key(event.source, event.id))
    return event


def ingest_events(uow, events: list[CloudEvent], clock: Clock = utc_now,
                  telemetry: Telemetry = NO_TELEMETRY) -> list[Outcome]:
    """Log checked events atomically: each new one is created, a repeat with the same content is a
    duplicate, a repeat with other content a conflict. Any conflict stores nothing of the batch (the
    others answer NOT_STORED). One query finds the repeats, one statement inserts the rest.
    Raises StoreBusy when the write lock could not be had in time."""
    keys = [(e.source, e.id) for e in events]
    digests = [content_hash(e) for e in events]
    try:
        with uow(write=False) as tx:
            outcomes = _classify(keys, digests, tx.events.content_hashes(keys))
        if Outcome.CREATED in outcomes and Outcome.CONFLICT not in outcomes:
            outcomes = _write_new(uow, events, digests, outcomes, clock())
    except (StoreError, WriteLockTimeout) as exc:
        if is_lock_timeout(exc):
            raise StoreBusy(str(getattr(exc, "orig", exc))) from exc
        raise
    return _counted(telemetry, events, _refused_if_conflict(outcomes))


def _classify(keys: list[tuple[str, str]], digests: list[str], logged: dict) -> list[Outcome]:
    """CREATED for a new event, else DUPLICATE or CONFLICT against the log or an earlier item of the batch."""
    known, outcomes = dict(logged), []
    for key, digest in zip(keys, digests):
        if key not in known:
            known[key] = digest
            outcomes.append(Outcome.CREATED)
        else:
            outcomes.append(Outcome.DUPLICATE if known[key] == digest else Outcome.CONFLICT)
    return outcomes


def _refused_if_conflict(outcomes: list[Outcome]) -> list[Outcome]:
    if Outcome.CONFLICT not in outcomes:
        return outcomes
    return [o if o == Outcome.CONFLICT else Outcome.NOT_STORED for o in outcomes]


def _counted(telemetry: Telemetry, events: list[CloudEvent], outcomes: list[Outcome]) -> list[Outcome]:
    for event, outcome in zip(events, outcomes):
        if outcome == Outcome.DUPLICATE:
            telemetry.event_deduplicated(event.type, "ingest")
    return outcomes


def _write_new(uow, events: list[CloudEvent], digests: list[str], outcomes: list[Outcome], now) -> list[Outcome]:
    new = [(e, d) for e, d, o in zip(events, digests, outcomes) if o == Outcome.CREATED]
    with uow() as tx:
        written = tx.events.add_many([to_row(e, now, d) for e, d in new])
        if len(written) < len(new):
            # Another request logged some of them since the read: classify again against the log.
            keys = [(e.source, e.id) for e in events]
            outcomes = _classify(keys, digests, tx.events.content_hashes([k for k in keys if k not in written]))
            if Outcome.CONFLICT in outcomes:
                return outcomes  # leaving without commit rolls the batch back
        tx.commit()
    return outcomes
