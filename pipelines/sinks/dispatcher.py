"""Sends one sink's queued deliveries: in order per subject, with backoff, dead letters after N tries.

The relay queues a sink_deliveries row per sink when it marks an event delivered to the consumers;
a SinkDispatcher per sink works through them in its own thread, so a slow or dead endpoint delays
only that sink. A retryable failure pauses the sink until the failed row is due again (the endpoint is
down or shedding load: hammering it with the rest of the batch helps nobody); a permanent failure or
the last allowed attempt turns the row into a dead letter, with the reason, and the sink moves on.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pipelines.relay import redelivery_delay
from pipelines.sinks import Sink, SinkError
from runtime.worker import Worker
from services.clock import Clock, utc_now
from services.outbox import from_record

log = logging.getLogger(__name__)
RETRY_AFTER_CAP = 3600.0  # a Retry-After beyond an hour is treated as an hour


class SinkDispatcher(Worker):
    def __init__(self, uow, sink: Sink, clock: Clock = utc_now, max_attempts: int = 8, batch: int = 100,
                 poll_seconds: float = 1.0, backoff=redelivery_delay):
        super().__init__(f"sink-{sink.name}", poll_seconds=poll_seconds, join_seconds=15.0)
        self.uow, self.sink, self.clock, self.backoff = uow, sink, clock, backoff
        self.max_attempts, self.batch = max_attempts, batch
        self._paused_until: datetime | None = None

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        self.sink.close()

    def pass_once(self) -> bool:
        return self.run_once() >= self.batch and not self._paused()

    def _paused(self) -> bool:
        return self._paused_until is not None and self.clock() < self._paused_until

    def idle_seconds(self) -> float:
        """The poll interval, or less when a paused sink is due again sooner."""
        if self._paused_until is None:
            return self.poll_seconds
        return max(0.01, min(self.poll_seconds, (self._paused_until - self.clock()).total_seconds() + 0.01))

    def run_once(self) -> int:
        """Send one batch; returns how many rows were delivered."""
        if self._paused():
            return 0
        with self.uow(write=self._locks_rows()) as tx:
            rows = tx.sink_deliveries.claim_pending(self.sink.name, self.batch)
            if not self._locks_rows():
                tx.detach_loaded()  # the claimed rows stay readable after the rollback
                tx.rollback()  # SQLite: hold no lock while the endpoint answers
            sent = self._send_batch(tx, rows)
            if self._locks_rows():
                tx.commit()
        return sent

    def _locks_rows(self) -> bool:
        return self.uow.dialect == "postgresql"

    def _send_batch(self, claim_tx, rows) -> int:
        blocked: set[str] = set()
        sent = 0
        now = self.clock()
        for row, record in rows:
            if record.subject in blocked or self._held_back(claim_tx, row, record, now):
                if record.subject is not None:
                    blocked.add(record.subject)
                continue  # an earlier event of this subject is waiting: keep the order
            outcome = self._send_one(claim_tx, row, record)
            if outcome == "retry":
                break
            sent += outcome == "delivered"
        return sent

    def _held_back(self, claim_tx, row, record, now: datetime) -> bool:
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return True
        return (self._locks_rows() and record.subject is not None
                and claim_tx.sink_deliveries.has_earlier_pending(self.sink.name, record.subject, record.seq))

    def _send_one(self, claim_tx, row, record) -> str:
        attempts = row.attempts + 1
        try:
            self.sink.send(from_record(record))
        except SinkError as exc:
            return self._failed(claim_tx, record, attempts, exc)
        except Exception as exc:  # an unexpected library error: treat it as transient, the log keeps it
            log.exception("sink %s: unexpected error sending seq %d", self.sink.name, record.seq)
            return self._failed(claim_tx, record, attempts, SinkError(f"{type(exc).__name__}: {exc}", retryable=True))
        self._write(claim_tx, lambda tx: tx.sink_deliveries.mark_delivered(self.sink.name, record.seq, attempts,
                                                                             self.clock()))
        return "delivered"

    def _failed(self, claim_tx, record, attempts: int, exc: SinkError) -> str:
        name, seq, now = self.sink.name, record.seq, self.clock()
        if not exc.retryable or attempts >= self.max_attempts:
            why = "permanent failure" if not exc.retryable else f"gave up after {attempts} attempts"
            reason = f"{why}: {exc.reason}"
            log.error("sink %s: event %s/%s (seq %d) is a dead letter, %s", name, record.source, record.id, seq, reason)
            self._write(claim_tx, lambda tx: tx.sink_deliveries.bury(name, seq, attempts, now, reason))
            return "dead"
        delay = max(self.backoff(attempts), min(exc.retry_after or 0.0, RETRY_AFTER_CAP))
        retry_at = now + timedelta(seconds=delay)
        log.warning("sink %s: event %s/%s (seq %d) not delivered (attempt %d of %d), next try in %.1f s: %s",
                    name, record.source, record.id, seq, attempts, self.max_attempts, delay, exc.reason)
        self._write(claim_tx, lambda tx: tx.sink_deliveries.postpone(name, seq, attempts, retry_at, exc.reason))
        self._paused_until = retry_at
        return "retry"

    def _write(self, claim_tx, change) -> None:
        """On PostgreSQL the claiming transaction holds the rows; on SQLite each change is its own commit."""
        if self._locks_rows():
            change(claim_tx)
            return
        with self.uow() as tx:
            change(tx)
            tx.commit()
