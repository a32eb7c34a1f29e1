"""Retries of held events: an event a consumer failed on is tried again with backoff, then parked.

Per consumer and subject only the lowest held event (the head) is tried; the rest wait behind it, so
that consumer applies a subject's events in order once the head applies or an operator discards it.
A head that still fails after `max_attempts` is parked: a log line says why, a metric counts it, and
/admin/events (or the API) can retry or discard it.
"""
from __future__ import annotations

import logging
import os
import traceback
from datetime import datetime, timedelta

from data.errors import is_transient
from services.clock import Clock
from services.outbox import from_record

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> tuple[str, str]:
    """(reason, detail): the exception in one line, and the last frames that say where it happened."""
    reason = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    detail = "\n".join(f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}: {f.line}" for f in frames)
    return reason.encode("utf-8", "replace").decode(), detail.encode("utf-8", "replace").decode()


def apply_isolated(tx, effect) -> BaseException | None:
    """Run `effect()` in a savepoint: the exception when it failed (its writes rolled back), None when it
    applied. A store that could not answer (is_transient: locked, connection gone) is not the event's
    fault: it is raised instead, and the whole pass is retried rather than holding an innocent event."""
    try:
        with tx.savepoint():
            effect()
    except Exception as exc:  # noqa: BLE001 - the event's own failure, whatever it is
        if is_transient(exc):
            raise
        return exc
    return None


def _apply_once(tx, consumer, event, now: datetime) -> None:
    if not tx.inbox.seen(consumer.name, event.source, event.id):
        consumer.apply(tx, event)
        tx.inbox.record(consumer.name, event.source, event.id, now)


def failure_row(consumer: str, record, now: datetime, error: BaseException | None = None,
                retry_at: datetime | None = None) -> dict:
    """A held_events row: a first failure (with its error and retry time) or an event held behind one."""
    reason, detail = describe(error) if error is not None else (None, None)
    return {"consumer": consumer, "event_seq": record.seq, "subject": record.subject, "attempts": 1 if error else 0,
            "next_attempt_at": retry_at, "last_error": reason, "error_detail": detail, "held_at": now,
            "parked_at": None, "discarded_at": None, "discarded_by": None}


class HeldRetry:
    def __init__(self, uow, consumers: list, clock: Clock, telemetry, max_attempts: int, backoff, batch: int = 200):
        self.uow, self.clock, self.telemetry, self.backoff = uow, clock, telemetry, backoff
        self.by_name = {c.name: c for c in consumers}
        self.max_attempts, self.batch = max_attempts, batch

    def run_once(self) -> int:
        """Try every due head once, in one transaction (each in a savepoint); returns how many applied."""
        with self.uow(write=False) as tx:  # most passes find nothing: then no write lock is taken
            if not tx.held_events.any_due(self.clock()):
                return 0
        with self.uow() as tx:
            now = self.clock()
            heads = [h for h in tx.held_events.due_heads(now, self.batch) if h.consumer in self.by_name]
            if not heads:
                return 0
            records = tx.events.by_seqs([h.event_seq for h in heads])
            applied = sum(self._try(tx, head, from_record(records[head.event_seq]), now) for head in heads)
            tx.commit()
        return applied

    def _try(self, tx, head, event, now: datetime) -> bool:
        consumer = self.by_name[head.consumer]
        error = apply_isolated(tx, lambda: _apply_once(tx, consumer, event, now))
        if error is not None:
            self._failed(tx, head, event, error, now)
            return False
        tx.held_events.resolve(consumer.name, head.event_seq)
        self.telemetry.event_consumed(event.type, consumer.name)
        return True

    def _failed(self, tx, head, event, exc: BaseException, now: datetime) -> None:
        attempts = head.attempts + 1
        reason, detail = describe(exc)
        parked = attempts >= self.max_attempts
        retry_at = None if parked else now + timedelta(seconds=self.backoff(attempts))
        tx.held_events.failed(head.consumer, head.event_seq, attempts=attempts, retry_at=retry_at,
                              parked_at=now if parked else None, error=reason, detail=detail)
        if parked:
            log.error("event %s/%s (%s) parked for consumer %s after %d attempts: %s; retry or discard it on "
                      "/admin/events", event.source, event.id, event.type, head.consumer, attempts, reason)
        else:
            log.warning("event %s/%s failed in consumer %s (attempt %d): %s", event.source, event.id,
                        head.consumer, attempts, reason)
