"""The relay: delivers committed events, in order per subject, to the consumers and sinks.

At least once: an event is marked delivered only after every consumer applied it. Exactly once in
effect: each consumer records (consumer, source, id) in its inbox in the same transaction as its
effect, so a redelivery after a crash changes nothing. External sinks are never
called here (a slow endpoint must not stall the consumers): the transaction that marks an event also
queues one sink_deliveries row per sink, which the sink dispatchers (pipelines/sinks) send.
"""
from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta
from typing import Protocol

from domain.cloudevents import CloudEvent
from services.clock import Clock, utc_now
from services.outbox import from_record
from services.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)
BACKOFF_BASE, BACKOFF_CAP = 1.0, 300.0


class Consumer(Protocol):
    name: str

    def wants(self, event: CloudEvent) -> bool: ...

    def apply(self, tx, event: CloudEvent) -> None: ...


def backoff(attempt: int, rng: random.Random = random.Random()) -> float:
    """Seconds before the next try: exponential from 1 s, capped at 5 min, with 30% jitter."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return delay * (1 + rng.uniform(-0.3, 0.3))


class Relay:
    def __init__(self, uow, consumers: list[Consumer], sinks: list[str] = (), clock: Clock = utc_now,
                 batch: int = 200, poll_seconds: float = 1.0, telemetry: Telemetry = NO_TELEMETRY):
        """`sinks`: the names of the enabled sinks; every marked event is queued once per sink."""
        self.uow, self.consumers, self.sinks, self.clock = uow, list(consumers), list(sinks), clock
        self.telemetry = telemetry
        self._marked_listeners: list = []
        self.batch, self.poll_seconds = batch, poll_seconds
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Called after a commit that wrote events: deliver now instead of at the next poll."""
        self._wake.set()

    def on_marked(self, listener) -> None:
        """Call `listener()` after a batch marked events (and so queued sink deliveries): the sink dispatchers' wake-up."""
        self._marked_listeners.append(listener)

    def start(self) -> "Relay":
        self._thread = threading.Thread(target=self._loop, name="event-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_once()
            except Exception:  # the relay must outlive any one bad batch; the log says why
                log.exception("relay batch failed")
                delivered = 0
            if delivered < self.batch:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_once(self) -> int:
        """Deliver one batch; returns how many events were marked delivered."""
        with self.uow(write=self._locks_rows()) as tx:
            records = tx.events.claim_undelivered(self.batch)
            if not self._locks_rows():
                tx.session.expunge_all()
                tx.rollback()  # SQLite: hold no lock while consumers write
            delivered = self._deliver_batch(tx, records)
            if self._locks_rows():
                tx.commit()
        if delivered and self.sinks:
            for listener in self._marked_listeners:
                listener()
        return delivered

    def _locks_rows(self) -> bool:
        return self.uow.dialect == "postgresql"

    def _deliver_batch(self, claim_tx, records) -> int:
        blocked: set[str | None] = set()
        delivered = 0
        now = self.clock()
        for record in records:
            if record.subject in blocked or self._held_back(claim_tx, record, now):
                if record.subject is not None:
                    blocked.add(record.subject)
                continue  # an earlier event of this subject is waiting: keep the order
            try:
                self._deliver(from_record(record))
            except Exception as exc:
                if record.subject is not None:
                    blocked.add(record.subject)
                self._postpone(claim_tx, record, exc)
                continue
            self._mark(claim_tx, record.seq)
            self.telemetry.event_published(record.type)
            delivered += 1
        return delivered

    def _held_back(self, claim_tx, record, now) -> bool:
        if record.next_attempt_at is not None and record.next_attempt_at > now:
            return True
        return (self._locks_rows() and record.subject is not None
                and claim_tx.events.has_earlier_undelivered(record.subject, record.seq))

    def _deliver(self, event: CloudEvent) -> None:
        for consumer in self.consumers:
            if consumer.wants(event):
                self._apply(consumer, event)

    def _apply(self, consumer: Consumer, event: CloudEvent) -> None:
        with self.uow() as tx:
            if tx.inbox.seen(consumer.name, event.source, event.id):
                self.telemetry.event_deduplicated(event.type, consumer.name)
                return
            consumer.apply(tx, event)
            tx.inbox.record(consumer.name, event.source, event.id, self.clock())
            tx.commit()
        self.telemetry.event_consumed(event.type, consumer.name)

    def _mark(self, claim_tx, seq: int) -> None:
        if self._locks_rows():
            claim_tx.events.mark_delivered(seq, self.clock())
            claim_tx.sink_deliveries.enqueue(seq, self.sinks)
            return
        with self.uow() as tx:
            tx.events.mark_delivered(seq, self.clock())
            tx.sink_deliveries.enqueue(seq, self.sinks)
            tx.commit()

    def _postpone(self, claim_tx, record, exc: Exception) -> None:
        attempts = record.attempts + 1
        retry_at = self.clock() + timedelta(seconds=backoff(attempts))
        log.warning("event %s/%s not delivered (attempt %d): %s", record.source, record.id, attempts, exc)
        if self._locks_rows():
            claim_tx.events.postpone(record.seq, attempts, retry_at, str(exc))
            return
        with self.uow() as tx:
            tx.events.postpone(record.seq, attempts, retry_at, str(exc))
            tx.commit()
