"""The relay: delivers committed events, in order per subject, to the consumers and sinks.

One transaction per batch: every consumer's effects, their inbox entries, the delivered mark and the
sink queue rows commit together, so a crash anywhere leaves the whole batch to be delivered again and
the inbox makes that harmless. Each inbox key, held subject and mark is one statement per batch.

A batch that raises is delivered again with every (event, consumer) in a savepoint, which isolates the
failing one: it is held for that consumer (pipelines/held_retry retries it with backoff, then parks it
for an operator), that consumer's later events of the same subject are held behind it, and every other
consumer and subject flows on. External sinks are never called here (a slow endpoint must not stall the
consumers): the batch queues one sink_deliveries row per sink, which the sink dispatchers send.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from data.errors import is_transient
from domain.cloudevents import CloudEvent
from pipelines.held_retry import HeldRetry, apply_isolated, failure_row
from runtime.backoff import backoff
from runtime.worker import Worker
from services.clock import Clock, utc_now
from services.outbox import from_record
from services.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)


class Consumer(Protocol):
    """May also have `apply_batch(tx, events)`: the same effect as `apply` on each, set-based."""

    name: str
    consumes: tuple[str, ...]  # the event types it applies (domain.events); the catalog lists them

    def wants(self, event: CloudEvent) -> bool: ...

    def apply(self, tx, event: CloudEvent) -> None: ...


def _apply_all(tx, consumer: Consumer, events: list[CloudEvent]) -> None:
    apply_batch = getattr(consumer, "apply_batch", None)
    if apply_batch is not None:
        apply_batch(tx, events)
        return
    for event in events:
        consumer.apply(tx, event)


def redelivery_delay(attempt: int) -> float:
    """Seconds before an event is tried again (by a consumer that failed on it, or a sink): from 1 s
    doubling, capped at 5 min, with 30% jitter."""
    return backoff(attempt, base=1.0, cap=300.0)


class Relay(Worker):
    def __init__(self, uow, consumers: list[Consumer], sinks: list[str] = (), clock: Clock = utc_now,
                 batch: int = 500, poll_seconds: float = 1.0, telemetry: Telemetry = NO_TELEMETRY,
                 max_attempts: int = 5, linger_seconds: float = 0.02):
        """`sinks`: the names of the enabled sinks; every marked event is queued once per sink.
        `max_attempts`: tries of a failing event before it is parked for that consumer. `linger_seconds`:
        after a wake-up, how long to let more commits arrive, so that single-event requests are delivered
        in batches instead of one pass (and one write lock) each."""
        super().__init__("event-relay", poll_seconds=poll_seconds, linger_seconds=linger_seconds)
        self.uow, self.consumers, self.sinks, self.clock = uow, list(consumers), list(sinks), clock
        self.telemetry, self.batch = telemetry, batch
        self.held = HeldRetry(uow, self.consumers, clock, telemetry, max_attempts, redelivery_delay)

    def pass_once(self) -> bool:
        """A full batch, or held events applied: there may be more."""
        return self.run_once() >= self.batch or self.held.run_once() > 0

    def run_once(self) -> int:
        """Deliver the next batch; returns how many events were marked delivered."""
        try:
            return self._pass(isolate=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.info("a batch failed (%s: %s); delivering it event by event to isolate the failing one",
                     type(exc).__name__, exc)
            return self._pass(isolate=True)

    def _pass(self, isolate: bool) -> int:
        with self.uow(write=False) as tx:  # an idle pass takes no write lock (SQLite has one for all)
            if not tx.events.any_undelivered():
                return 0
        with self.uow() as tx:
            records = self._in_subject_order(tx, tx.events.claim_undelivered(self.batch))
            if not records:
                return 0
            now = self.clock()
            applied = self._apply(tx, records, now, isolate)
            seqs = [r.seq for r in records]
            tx.events.mark_delivered(seqs, now)
            tx.sink_deliveries.enqueue(seqs, self.sinks)
            tx.commit()
        for record in records:
            self.telemetry.event_published(record.type)
        for type_, consumer in applied:
            self.telemetry.event_consumed(type_, consumer)
        return len(records)

    def _in_subject_order(self, tx, records: list) -> list:
        """PostgreSQL: leave out events behind an earlier undelivered one of their subject that another
        relay holds locked (and so not in this claim); they come in a later pass, in order."""
        if self.uow.dialect != "postgresql" or not records:
            return records
        claimed = {r.seq for r in records}
        first = tx.events.first_undelivered([r.subject for r in records if r.subject is not None])
        waiting, kept = set(), []
        for record in records:
            subject = record.subject
            if subject is not None and (subject in waiting or first.get(subject, record.seq) not in claimed):
                waiting.add(subject)
                continue
            kept.append(record)
        return kept

    def _apply(self, tx, records: list, now: datetime, isolate: bool) -> list[tuple[str, str]]:
        """Each consumer's wanted events of the batch, consumer by consumer, each in log order;
        returns the (type, consumer) applied."""
        events = [(r, from_record(r)) for r in records]
        work = [(c, [(r, e) for r, e in events if c.wants(e)]) for c in self.consumers]
        seen = tx.inbox.seen_many([(c.name, e.source, e.id) for c, items in work for _, e in items])
        held = tx.held_events.held_subjects({c.name for c, _ in work},
                                            [r.subject for r, _ in events if r.subject is not None])
        applied, inbox, holds = [], [], []
        for consumer, items in work:
            batch = []
            for record, event in items:
                key = (consumer.name, event.source, event.id)
                if key in seen:
                    self.telemetry.event_deduplicated(event.type, consumer.name)
                    continue
                if record.subject is not None and (consumer.name, record.subject) in held:
                    holds.append(failure_row(consumer.name, record, now))  # keeps this consumer's order
                    continue
                if isolate and (error := self._try_apply(tx, consumer, event)) is not None:
                    holds.append(failure_row(consumer.name, record, now, error, now + timedelta(seconds=redelivery_delay(1))))
                    if record.subject is not None:
                        held.add((consumer.name, record.subject))
                    continue
                batch.append(event)
                inbox.append(key)
                applied.append((event.type, consumer.name))
            if batch and not isolate:
                _apply_all(tx, consumer, batch)
        tx.inbox.record_many(inbox, now)
        tx.held_events.hold(holds)
        return applied

    def _try_apply(self, tx, consumer: Consumer, event: CloudEvent) -> BaseException | None:
        """Apply in a savepoint; the exception when the event failed (its effect rolled back)."""
        error = apply_isolated(tx, lambda: consumer.apply(tx, event))
        if error is not None:
            log.warning("event %s/%s failed in consumer %s (attempt 1): %s", event.source, event.id, consumer.name, error)
        return error
