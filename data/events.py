"""The event log (outbox) and the consumers' inbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.models import EventRecord, InboxEntry

EVENTS_CHANNEL = "cockpit_events"  # PostgreSQL NOTIFY channel: "events were committed" (pipelines/pg_notify)


class SqlAlchemyEvents:
    def __init__(self, session: Session):
        self.session = session

    def add(self, record: EventRecord) -> bool:
        """Append in the caller's transaction; False when (source, id) is logged already."""
        try:
            with self.session.begin_nested():
                self.session.add(record)
                self.session.flush()
        except IntegrityError:
            return False
        if not self.session.info.get("events_written"):
            self._notify_at_commit()
        self.session.info["events_written"] = True
        return True

    def _notify_at_commit(self) -> None:
        """PostgreSQL delivers a NOTIFY when (and only if) the transaction commits: listeners in every
        process hear of the new events then, never of a rolled-back one."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": EVENTS_CHANNEL})

    def by_source_id(self, source: str, event_id: str) -> EventRecord | None:
        return self.session.scalar(select(EventRecord).where(EventRecord.source == source, EventRecord.id == event_id))

    def newest(self, type_: str | None, subject: str | None, since: datetime | None, limit: int) -> list[EventRecord]:
        stmt = select(EventRecord).order_by(EventRecord.seq.desc()).limit(limit)
        if type_:
            stmt = stmt.where(EventRecord.type == type_)
        if subject:
            stmt = stmt.where(EventRecord.subject == subject)
        if since:
            stmt = stmt.where(EventRecord.time >= since)
        return list(self.session.scalars(stmt))

    def claim_undelivered(self, limit: int) -> list[EventRecord]:
        """The oldest undelivered events, waiting retries included (they hold back later events of
        their subject). On PostgreSQL the rows stay locked until this transaction ends and other
        relays skip them (FOR UPDATE SKIP LOCKED)."""
        stmt = (select(EventRecord).where(EventRecord.delivered_at.is_(None)).order_by(EventRecord.seq).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def has_earlier_undelivered(self, subject: str, seq: int) -> bool:
        """Another relay holds an earlier event of this subject (skipped as locked): wait for it."""
        stmt = select(EventRecord.seq).where(EventRecord.subject == subject, EventRecord.seq < seq,
                                             EventRecord.delivered_at.is_(None)).limit(1)
        return self.session.scalar(stmt) is not None

    def mark_delivered(self, seq: int, now: datetime) -> None:
        self.session.execute(update(EventRecord).where(EventRecord.seq == seq).values(delivered_at=now))

    def postpone(self, seq: int, attempts: int, retry_at: datetime, error: str) -> None:
        self.session.execute(update(EventRecord).where(EventRecord.seq == seq)
                             .values(attempts=attempts, next_attempt_at=retry_at, last_error=error[:500]))


class SqlAlchemyInbox:
    def __init__(self, session: Session):
        self.session = session

    def seen(self, consumer: str, source: str, event_id: str) -> bool:
        return self.session.get(InboxEntry, (consumer, source, event_id)) is not None

    def record(self, consumer: str, source: str, event_id: str, now: datetime) -> None:
        """Written in the same transaction as the consumer's effect; a duplicate fails the commit."""
        self.session.add(InboxEntry(consumer=consumer, source=source, event_id=event_id, processed_at=now))
