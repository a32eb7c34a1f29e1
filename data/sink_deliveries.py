"""Repository of the per-sink delivery queue (table sink_deliveries)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.bulk import insert_many
from data.commit_flags import SINK_DELIVERIES_QUEUED
from data.models import EventRecord
from data.sink_models import SinkDelivery


def _pending(sink: str):
    return (SinkDelivery.sink == sink, SinkDelivery.delivered_at.is_(None), SinkDelivery.dead_at.is_(None))


class SqlAlchemySinkDeliveries:
    def __init__(self, session: Session):
        self.session = session

    def enqueue(self, seqs: list[int], sinks: Iterable[str]) -> None:
        """One pending row per sink and event, in the transaction that marks the events delivered to the
        consumers: one query for what is queued already, one insert for the rest."""
        sinks = list(sinks)
        if not sinks or not seqs:
            return
        queued = {tuple(row) for row in self.session.execute(select(SinkDelivery.sink, SinkDelivery.event_seq)
                                                                 .where(SinkDelivery.event_seq.in_(seqs)))}
        rows = [{"sink": name, "event_seq": seq, "attempts": 0} for seq in seqs for name in sinks
                if (name, seq) not in queued]
        if rows:
            insert_many(self.session.connection(), SinkDelivery.__table__, rows)
            self.session.info[SINK_DELIVERIES_QUEUED] = True  # the sink dispatchers wake after the commit

    def claim_pending(self, sink: str, limit: int) -> list[tuple[SinkDelivery, EventRecord]]:
        """The oldest pending rows of a sink with their events, waiting retries included (they hold back
        later events of their subject). On PostgreSQL the rows stay locked until this transaction ends and
        other dispatchers skip them (FOR UPDATE SKIP LOCKED)."""
        stmt = (select(SinkDelivery, EventRecord).join(EventRecord, EventRecord.seq == SinkDelivery.event_seq)
                .where(*_pending(sink)).order_by(SinkDelivery.event_seq).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=SinkDelivery)
        return [(row.SinkDelivery, row.EventRecord) for row in self.session.execute(stmt)]

    def has_earlier_pending(self, sink: str, subject: str, seq: int) -> bool:
        """Another dispatcher holds an earlier event of this subject (skipped as locked): wait for it."""
        stmt = (select(SinkDelivery.event_seq).join(EventRecord, EventRecord.seq == SinkDelivery.event_seq)
                .where(*_pending(sink), EventRecord.subject == subject, SinkDelivery.event_seq < seq).limit(1))
        return self.session.scalar(stmt) is not None

    def mark_delivered(self, sink: str, seq: int, attempts: int, now: datetime) -> None:
        self._set(sink, seq, attempts=attempts, delivered_at=now, next_attempt_at=None)

    def postpone(self, sink: str, seq: int, attempts: int, retry_at: datetime, error: str) -> None:
        self._set(sink, seq, attempts=attempts, next_attempt_at=retry_at, last_error=error[:1000])

    def bury(self, sink: str, seq: int, attempts: int, now: datetime, reason: str) -> None:
        """A dead letter: never tried again; the reason stays in last_error."""
        self._set(sink, seq, attempts=attempts, dead_at=now, next_attempt_at=None, last_error=reason[:1000])

    def get(self, sink: str, seq: int) -> SinkDelivery | None:
        return self.session.get(SinkDelivery, (sink, seq))

    def _set(self, sink: str, seq: int, **values) -> None:
        self.session.execute(update(SinkDelivery)
                             .where(SinkDelivery.sink == sink, SinkDelivery.event_seq == seq).values(**values))
