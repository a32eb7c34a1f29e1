"""Repository of held events (table held_events): per-consumer retries, parked events, and the
events of the same subject waiting behind them. Every read is one statement for a whole batch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from data.bulk import insert_many
from data.held_event_models import HeldEvent
from data.models import EventRecord

_PENDING = HeldEvent.discarded_at.is_(None)


@dataclass(frozen=True)
class ParkedView:
    """One parked event as an operator sees it."""

    consumer: str
    seq: int
    source: str
    id: str
    type: str
    subject: str | None
    attempts: int
    last_error: str | None
    error_detail: str | None
    parked_at: datetime
    waiting_behind: int  # later events of the subject this consumer holds until it is resolved


class SqlAlchemyHeldEvents:
    def __init__(self, session: Session):
        self.session = session

    def held_subjects(self, consumers: Iterable[str], subjects: Iterable[str]) -> set[tuple[str, str]]:
        """(consumer, subject) pairs with a pending row: that consumer's later events of the subject wait."""
        subjects = list(set(subjects))
        if not subjects:
            return set()
        stmt = (select(HeldEvent.consumer, HeldEvent.subject).distinct()
                .where(HeldEvent.consumer.in_(list(consumers)), HeldEvent.subject.in_(subjects), _PENDING))
        return {(c, s) for c, s in self.session.execute(stmt)}

    def hold(self, rows: list[dict]) -> None:
        """Insert rows {consumer, event_seq, subject, attempts, next_attempt_at, last_error, error_detail, held_at}."""
        insert_many(self.session.connection(), HeldEvent.__table__, rows)

    def any_due(self, now: datetime) -> bool:
        """Whether any unparked row may be due: a cheap look before asking for the write lock."""
        stmt = (select(HeldEvent.event_seq).where(_PENDING, HeldEvent.parked_at.is_(None),
                                                  (HeldEvent.next_attempt_at.is_(None)) | (HeldEvent.next_attempt_at <= now))
                .limit(1))
        return self.session.scalar(stmt) is not None

    def due_heads(self, now: datetime, limit: int) -> list[HeldEvent]:
        """Rows to try now: not parked, due, and no earlier pending row of their consumer and subject."""
        earlier = aliased(HeldEvent)
        blocked = (select(earlier.event_seq).where(
            earlier.consumer == HeldEvent.consumer, earlier.subject == HeldEvent.subject,
            earlier.event_seq < HeldEvent.event_seq, earlier.discarded_at.is_(None)).exists())
        stmt = (select(HeldEvent).where(_PENDING, HeldEvent.parked_at.is_(None),
                                        (HeldEvent.next_attempt_at.is_(None)) | (HeldEvent.next_attempt_at <= now),
                                        ~blocked)
                .order_by(HeldEvent.event_seq).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def get(self, consumer: str, seq: int) -> HeldEvent | None:
        return self.session.get(HeldEvent, (consumer, seq))

    def resolve(self, consumer: str, seq: int) -> None:
        """The consumer applied it: the row goes, and the next row of its subject becomes the head."""
        self.session.execute(delete(HeldEvent).where(HeldEvent.consumer == consumer, HeldEvent.event_seq == seq))

    def failed(self, consumer: str, seq: int, *, attempts: int, retry_at: datetime | None,
               parked_at: datetime | None, error: str, detail: str) -> None:
        self._set(consumer, seq, attempts=attempts, next_attempt_at=retry_at, parked_at=parked_at,
                  last_error=error[:1000], error_detail=detail[:4000])

    def retry(self, consumer: str, seq: int, now: datetime) -> bool:
        """An operator asks for another round of tries of a parked event."""
        return self._set(consumer, seq, parked=True, attempts=0, next_attempt_at=now, parked_at=None) > 0

    def discard(self, consumer: str, seq: int, now: datetime, by: str) -> bool:
        """An operator gives up on it for this consumer: the subject's later events flow again."""
        return self._set(consumer, seq, parked=True, discarded_at=now, discarded_by=by[:40]) > 0

    def parked(self, limit: int = 200) -> list[ParkedView]:
        behind = aliased(HeldEvent)
        waiting = (select(func.count()).where(behind.consumer == HeldEvent.consumer, behind.subject == HeldEvent.subject,
                                               behind.event_seq > HeldEvent.event_seq, behind.discarded_at.is_(None))
                   .scalar_subquery())
        stmt = (select(HeldEvent, EventRecord.source, EventRecord.id, EventRecord.type, waiting)
                .join(EventRecord, EventRecord.seq == HeldEvent.event_seq)
                .where(_PENDING, HeldEvent.parked_at.is_not(None)).order_by(HeldEvent.event_seq).limit(limit))
        return [ParkedView(h.consumer, h.event_seq, source, id_, type_, h.subject, h.attempts, h.last_error,
                           h.error_detail, h.parked_at, n or 0)
                for h, source, id_, type_, n in self.session.execute(stmt)]

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per consumer: (parked, pending in all), for the metrics; count(parked_at) skips the unparked."""
        stmt = (select(HeldEvent.consumer, func.count(HeldEvent.parked_at), func.count())
                .where(_PENDING).group_by(HeldEvent.consumer))
        return {consumer: (n_parked, n_all) for consumer, n_parked, n_all in self.session.execute(stmt)}

    def _set(self, consumer: str, seq: int, parked: bool = False, **values) -> int:
        where = [HeldEvent.consumer == consumer, HeldEvent.event_seq == seq, _PENDING]
        if parked:
            where.append(HeldEvent.parked_at.is_not(None))
        return self.session.execute(update(HeldEvent).where(and_(*where)).values(**values)).rowcount
