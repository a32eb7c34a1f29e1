"""The event log (outbox) and the consumers' inbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.bulk import insert_many
from data.commit_flags import EVENTS_WRITTEN
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
        self._written()
        return True

    def add_many(self, rows: list[dict]) -> set[tuple[str, str]]:
        """Append rows (EventRecord columns) in one statement; returns the (source, id) pairs written,
        leaving out those logged already (the unique (source, id) decides, also against a racing writer)."""
        if not rows:
            return set()
        written = set(insert_many(self.session.connection(), EventRecord.__table__, rows,
                                  skip_conflicts_on=("source", "id"), returning=("source", "id")))
        if written:
            self._written()
        return written

    def _written(self) -> None:
        """This transaction wrote events: wake the relay after the commit (SqlAlchemyUnitOfWork), and
        on PostgreSQL every process's listener."""
        if not self.session.info.get(EVENTS_WRITTEN):
            self._notify_at_commit()
        self.session.info[EVENTS_WRITTEN] = True

    def content_hashes(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The content hash of each (source, id) logged already: one indexed query per source (a batch
        usually has one), cheaper to bind than a list of pairs."""
        by_source: dict[str, set[str]] = {}
        for source, id_ in keys:
            by_source.setdefault(source, set()).add(id_)
        found = {}
        for source, ids in by_source.items():
            stmt = (select(EventRecord.id, EventRecord.content_hash)
                    .where(EventRecord.source == source, EventRecord.id.in_(list(ids))))
            found.update({(source, id_): digest for id_, digest in self.session.execute(stmt)})
        return found

    def _notify_at_commit(self) -> None:
        """PostgreSQL delivers a NOTIFY when (and only if) the transaction commits: listeners in every
        process hear of the new events then, never of a rolled-back one."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": EVENTS_CHANNEL})

    def newest(self, type_: str | None, subject: str | None, since: datetime | None, limit: int) -> list[EventRecord]:
        stmt = select(EventRecord).order_by(EventRecord.seq.desc()).limit(limit)
        if type_:
            stmt = stmt.where(EventRecord.type == type_)
        if subject:
            stmt = stmt.where(EventRecord.subject == subject)
        if since:
            stmt = stmt.where(EventRecord.time >= since)
        return list(self.session.scalars(stmt))

    def any_undelivered(self) -> bool:
        """A cheap look (index on delivered_at, seq) before asking for the write lock."""
        return self.session.scalar(select(EventRecord.seq).where(EventRecord.delivered_at.is_(None)).limit(1)) is not None

    def claim_undelivered(self, limit: int) -> list:
        """The oldest undelivered events as plain rows (EventRecord's attributes, no ORM identity to
        track). On PostgreSQL the rows stay locked until this transaction ends and other relays skip
        them (FOR UPDATE SKIP LOCKED)."""
        table = EventRecord.__table__
        stmt = select(table).where(table.c.delivered_at.is_(None)).order_by(table.c.seq).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.connection().execute(stmt))

    def by_seqs(self, seqs: list[int]) -> dict[int, EventRecord]:
        return {r.seq: r for r in self.session.scalars(select(EventRecord).where(EventRecord.seq.in_(seqs)))}

    def first_undelivered(self, subjects: list[str]) -> dict[str, int]:
        """The lowest undelivered seq of each subject, in one query. On PostgreSQL another relay may
        hold an earlier event of a subject (skipped as locked): this one must wait for it."""
        if not subjects:
            return {}
        stmt = (select(EventRecord.subject, func.min(EventRecord.seq))
                .where(EventRecord.delivered_at.is_(None), EventRecord.subject.in_(list(set(subjects))))
                .group_by(EventRecord.subject))
        return dict(self.session.execute(stmt).all())

    def mark_delivered(self, seqs: list[int], now: datetime) -> None:
        if seqs:
            table = EventRecord.__table__  # Core: no ORM objects to synchronise
            self.session.connection().execute(update(table).where(table.c.seq.in_(seqs)).values(delivered_at=now))

    def oldest_undelivered_at(self) -> datetime | None:
        """When the oldest event not yet delivered was recorded (index on delivered_at, seq)."""
        return self.session.scalar(select(EventRecord.recorded_at).where(EventRecord.delivered_at.is_(None))
                                   .order_by(EventRecord.delivered_at, EventRecord.seq).limit(1))

    def add_history(self, rows: list[dict]) -> None:
        """Append rows (EventRecord columns) that are delivered already, in one statement: history no
        consumer may act on again, so nothing wakes."""
        insert_many(self.session.connection(), EventRecord.__table__, rows)


class SqlAlchemyInbox:
    def __init__(self, session: Session):
        self.session = session

    def seen_many(self, keys: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which (consumer, source, id) are recorded already, in one query."""
        if not keys:
            return set()
        columns = tuple_(InboxEntry.consumer, InboxEntry.source, InboxEntry.event_id)
        stmt = select(InboxEntry.consumer, InboxEntry.source, InboxEntry.event_id).where(columns.in_(list(set(keys))))
        return {tuple(row) for row in self.session.execute(stmt)}

    def record_many(self, keys: list[tuple[str, str, str]], now: datetime) -> None:
        """One statement for a batch; a key recorded already fails the commit (as `record` does)."""
        insert_many(self.session.connection(), InboxEntry.__table__,
                    [{"consumer": c, "source": s, "event_id": i, "processed_at": now} for c, s, i in keys])

    def seen(self, consumer: str, source: str, event_id: str) -> bool:
        return self.session.get(InboxEntry, (consumer, source, event_id)) is not None

    def record(self, consumer: str, source: str, event_id: str, now: datetime) -> None:
        """Written in the same transaction as the consumer's effect; a duplicate fails the commit."""
        self.session.add(InboxEntry(consumer=consumer, source=source, event_id=event_id, processed_at=now))
