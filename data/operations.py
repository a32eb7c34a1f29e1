"""Repository of the operations page: dead sink deliveries, mail that died or was never confirmed, the
suppression list, and the operator actions taken on them. A discard is an operator action; the lists
leave out what was discarded, and a discarded row is never retried."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.orm import Session, defer

from data.commit_flags import MAIL_QUEUED, SINK_DELIVERIES_QUEUED
from data.models import EmailMessage, EventRecord, Suppression
from data.row_window import RowWindow
from data.sink_models import SinkDelivery
from data.task_models import OperatorAction
from domain.model import MessageStatus

SINK_DISCARD, MAIL_DISCARD = "sink.discard", "mail.discard"
STUCK = (MessageStatus.DEAD.value, MessageStatus.UNCONFIRMED.value)
DELIVERY_SORTS = {"dead_at": SinkDelivery.dead_at, "sink": SinkDelivery.sink, "type": EventRecord.type,
                  "attempts": SinkDelivery.attempts}
MAIL_SORTS = {"created_at": EmailMessage.created_at, "to_email": EmailMessage.to_email,
              "status": EmailMessage.status, "provider": EmailMessage.provider, "attempts": EmailMessage.attempts}
SUPPRESSION_SORTS = {"created_at": Suppression.created_at, "email": Suppression.email, "reason": Suppression.reason}


@dataclass(frozen=True)
class DeadDelivery:
    sink: str
    seq: int
    source: str
    event_id: str
    type: str
    subject: str | None
    attempts: int
    last_error: str | None
    dead_at: datetime


def delivery_target(sink, seq):
    """The operator-action target naming one delivery: "<sink>/<seq>" (works on columns and values)."""
    return sink + "/" + (cast(seq, String) if not isinstance(seq, int) else str(seq))


def _not_discarded(action: str, target):
    return ~select(OperatorAction.id).where(OperatorAction.action == action, OperatorAction.target == target).exists()


def _ordered(stmt, sorts: dict, window: RowWindow, default: str, tie):
    key = sorts.get(window.sort, sorts[default])
    descending = window.descending if window.sort in sorts else True  # the default: newest first
    return stmt.order_by(key.desc() if descending else key.asc(), tie).offset(window.offset).limit(window.limit)


class SqlAlchemyOperations:
    def __init__(self, session: Session):
        self.session = session

    # -- sink deliveries ---------------------------------------------------------------------------
    def _dead_deliveries(self):
        return (SinkDelivery.dead_at.is_not(None), SinkDelivery.delivered_at.is_(None),
                _not_discarded(SINK_DISCARD, delivery_target(SinkDelivery.sink, SinkDelivery.event_seq)))

    def dead_deliveries(self, window: RowWindow) -> tuple[list[DeadDelivery], int]:
        """One window of the dead letters of every sink, newest first unless sorted otherwise; and how many."""
        stmt = (select(SinkDelivery.sink, SinkDelivery.event_seq, EventRecord.source, EventRecord.id, EventRecord.type,
                       EventRecord.subject, SinkDelivery.attempts, SinkDelivery.last_error, SinkDelivery.dead_at)
                .join(EventRecord, EventRecord.seq == SinkDelivery.event_seq).where(*self._dead_deliveries()))
        rows = self.session.execute(_ordered(stmt, DELIVERY_SORTS, window, "dead_at", SinkDelivery.event_seq))
        total = self.session.scalar(select(func.count()).select_from(SinkDelivery).where(*self._dead_deliveries()))
        return [DeadDelivery(*row) for row in rows], total or 0

    def dead_delivery(self, sink: str, seq: int) -> DeadDelivery | None:
        stmt = (select(SinkDelivery.sink, SinkDelivery.event_seq, EventRecord.source, EventRecord.id, EventRecord.type,
                       EventRecord.subject, SinkDelivery.attempts, SinkDelivery.last_error, SinkDelivery.dead_at)
                .join(EventRecord, EventRecord.seq == SinkDelivery.event_seq)
                .where(SinkDelivery.sink == sink, SinkDelivery.event_seq == seq, *self._dead_deliveries()))
        row = self.session.execute(stmt).first()
        return DeadDelivery(*row) if row is not None else None

    def retry_delivery(self, sink: str, seq: int, now: datetime) -> bool:
        """A dead letter becomes pending again with a fresh round of attempts; False when it is not dead
        (retried or discarded meanwhile). Its sink's dispatcher wakes after the commit."""
        stmt = (update(SinkDelivery).where(SinkDelivery.sink == sink, SinkDelivery.event_seq == seq,
                                           *self._dead_deliveries())
                .values(dead_at=None, attempts=0, next_attempt_at=now))
        changed = self.session.execute(stmt).rowcount == 1
        if changed:
            self.session.info[SINK_DELIVERIES_QUEUED] = True
        return changed

    # -- mail --------------------------------------------------------------------------------------
    def _stuck(self):
        return (EmailMessage.status.in_(STUCK), _not_discarded(MAIL_DISCARD, cast(EmailMessage.id, String)))

    def stuck_mail(self, window: RowWindow) -> tuple[list[EmailMessage], int]:
        """One window of the dead and unconfirmed messages (bodies not loaded), newest first; and how many."""
        stmt = (select(EmailMessage).where(*self._stuck())
                .options(defer(EmailMessage.body_html), defer(EmailMessage.body_text)))
        rows = list(self.session.scalars(_ordered(stmt, MAIL_SORTS, window, "created_at", EmailMessage.id)))
        total = self.session.scalar(select(func.count()).select_from(EmailMessage).where(*self._stuck()))
        return rows, total or 0

    def stuck_message(self, message_id: int) -> EmailMessage | None:
        """The message if it is dead or unconfirmed and not discarded."""
        return self.session.scalar(select(EmailMessage).where(EmailMessage.id == message_id, *self._stuck()))

    def requeue_mail(self, message_id: int, status: str, now: datetime) -> bool:
        """Queue a message again with a fresh round of attempts, if it is still `status` (dead, or an
        unconfirmed one the provider verifiably never had); the dispatcher wakes after the commit."""
        stmt = (update(EmailMessage).where(EmailMessage.id == message_id, EmailMessage.status == status, *self._stuck())
                .values(status=MessageStatus.QUEUED.value, attempts=0, next_attempt_at=now))
        changed = self.session.execute(stmt).rowcount == 1
        if changed:
            self.session.info[MAIL_QUEUED] = True
        return changed

    def mark_mail_sent(self, message_id: int, now: datetime) -> EmailMessage | None:
        """An operator confirmed that an unconfirmed message went out: it is `sent` from now on."""
        stmt = (update(EmailMessage).where(EmailMessage.id == message_id,
                                           EmailMessage.status == MessageStatus.UNCONFIRMED.value, *self._stuck())
                .values(status=MessageStatus.SENT.value, sent_at=now, next_attempt_at=None))
        if self.session.execute(stmt).rowcount != 1:
            return None
        return self.session.scalar(select(EmailMessage).where(EmailMessage.id == message_id)
                                   .execution_options(populate_existing=True))

    # -- suppressions ------------------------------------------------------------------------------
    def suppressions(self, window: RowWindow, search: str = "") -> tuple[list[Suppression], int]:
        """One window of the suppressed addresses (those containing `search`), newest first; and how many."""
        where = [func.lower(Suppression.email).contains(search.lower(), autoescape=True)] if search else []
        rows = self.session.scalars(_ordered(select(Suppression).where(*where), SUPPRESSION_SORTS, window,
                                             "created_at", Suppression.id))
        total = self.session.scalar(select(func.count()).select_from(Suppression).where(*where))
        return list(rows), total or 0

    def suppression(self, email: str) -> Suppression | None:
        """The entry of this address, as the list shows it (stored as given)."""
        return self.session.scalar(select(Suppression).where(Suppression.email == email))

    def lift(self, suppression_id: int) -> bool:
        """The address may get mail again (consent permitting); False when it was lifted meanwhile."""
        return self.session.execute(delete(Suppression).where(Suppression.id == suppression_id)).rowcount == 1

    # -- the record ---------------------------------------------------------------------------------
    def record(self, action: OperatorAction) -> None:
        self.session.add(action)
        self.session.flush()

    def recent(self, limit: int) -> list[OperatorAction]:
        """The latest operator actions, newest first."""
        stmt = select(OperatorAction).order_by(OperatorAction.at.desc(), OperatorAction.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))
