"""Repository of the email core's queue (table email_messages): queueing once, the dispatcher's claims."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from data.bulk import insert_many
from data.commit_flags import MAIL_QUEUED
from data.models import EmailMessage, Lead, Suppression
from domain.model import MessageStatus

RETRYABLE = (MessageStatus.QUEUED.value, MessageStatus.FAILED.value)


class SqlAlchemyEmailMessages:
    def __init__(self, session: Session):
        self.session = session

    def _locking(self, stmt):
        """On PostgreSQL the row stays locked until the transaction ends and other dispatchers skip it."""
        if self.session.get_bind().dialect.name == "postgresql":
            return stmt.with_for_update(skip_locked=True)
        return stmt

    def add_once(self, message: EmailMessage) -> bool:
        """Queue `message`; False when its idempotency key is queued already (a concurrent duplicate).
        The insert runs in a savepoint, so a duplicate leaves the caller's transaction usable."""
        try:
            with self.session.begin_nested():
                self.session.add(message)
                self.session.flush()
        except IntegrityError:
            if self.by_key(message.idempotency_key) is None:
                raise  # another constraint (an unknown template id): a defect of the caller, not a duplicate
            return False
        self.session.info[MAIL_QUEUED] = True  # the dispatcher wakes after this transaction commits
        return True

    def by_key(self, key: str) -> EmailMessage | None:
        return self.session.scalar(select(EmailMessage).where(EmailMessage.idempotency_key == key))

    def next_due(self, now: datetime) -> EmailMessage | None:
        stmt = (select(EmailMessage).where(EmailMessage.status.in_(RETRYABLE), EmailMessage.next_attempt_at <= now)
                .order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(1))
        return self.session.scalar(self._locking(stmt))

    def has_work(self, now: datetime) -> bool:
        """Whether a message is due to be sent or reconciled: read before taking the write lock."""
        due = or_(EmailMessage.status.in_(RETRYABLE), EmailMessage.status == MessageStatus.SENDING.value)
        stmt = select(EmailMessage.id).where(due, EmailMessage.next_attempt_at <= now).limit(1)
        return self.session.scalar(stmt) is not None

    def stale_sending(self, now: datetime, limit: int) -> list[EmailMessage]:
        """Messages whose provider call was recorded but never confirmed within the lease."""
        stmt = (select(EmailMessage).where(EmailMessage.status == MessageStatus.SENDING.value,
                                           EmailMessage.next_attempt_at <= now)
                .order_by(EmailMessage.next_attempt_at).limit(limit))
        return list(self.session.scalars(self._locking(stmt)))

    def get(self, message_id: int) -> EmailMessage | None:
        return self.session.get(EmailMessage, message_id)

    def depth(self) -> int:
        """Messages still to send: queued or waiting for a retry."""
        return self.session.scalar(select(func.count()).select_from(EmailMessage)
                                   .where(EmailMessage.status.in_(RETRYABLE))) or 0

    def refusal(self, email: str, lead_id: int | None) -> str | None:
        """Why this address must not get mail now, or None: suppressed, or the lead gave no consent."""
        normalized = email.strip().lower()
        suppressed = self.session.scalar(select(Suppression.reason)
                                         .where(func.lower(Suppression.email) == normalized).limit(1))
        if suppressed is not None:
            return f"suppressed: {suppressed}"
        if lead_id is not None:
            consent = self.session.scalar(select(Lead.email_consent).where(Lead.id == lead_id))
            if not consent:
                return "no email consent" if consent is not None else "lead not found"
        return None

    # -- the dispatcher's batches --------------------------------------------------------------------
    def due(self, now: datetime, limit: int) -> list[EmailMessage]:
        """Up to `limit` messages due to be sent, oldest first, in one statement (locked as next_due)."""
        stmt = (select(EmailMessage).where(EmailMessage.status.in_(RETRYABLE), EmailMessage.next_attempt_at <= now)
                .order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(limit))
        return list(self.session.scalars(self._locking(stmt)))

    def by_ids(self, ids: list[int]) -> dict[int, EmailMessage]:
        """The rows to record outcomes on; their bodies are loaded only if read (recording never does)."""
        stmt = (select(EmailMessage).where(EmailMessage.id.in_(ids))
                .options(defer(EmailMessage.body_html), defer(EmailMessage.body_text)))
        return {m.id: m for m in self.session.scalars(stmt)}

    def refusals(self, messages: list[EmailMessage]) -> dict[int, str]:
        """`refusal` for a batch, in two statements: message id -> why it must not get mail now."""
        emails = {m.to_email.strip().lower() for m in messages}
        suppressed = dict(self.session.execute(
            select(func.lower(Suppression.email), Suppression.reason).where(func.lower(Suppression.email).in_(emails))
        ).all())
        lead_ids = {m.lead_id for m in messages if m.lead_id is not None}
        consents = dict(self.session.execute(select(Lead.id, Lead.email_consent).where(Lead.id.in_(lead_ids))).all()) \
            if lead_ids else {}
        reasons = {}
        for m in messages:
            reason = suppressed.get(m.to_email.strip().lower())
            if reason is not None:
                reasons[m.id] = f"suppressed: {reason}"
            elif m.lead_id is not None and not consents.get(m.lead_id):
                reasons[m.id] = "no email consent" if consents.get(m.lead_id) is not None else "lead not found"
        return reasons

    def queued_keys(self, keys: list[str]) -> set[str]:
        """Those of `keys` queued already (one query)."""
        if not keys:
            return set()
        stmt = select(EmailMessage.idempotency_key).where(EmailMessage.idempotency_key.in_(keys))
        return set(self.session.scalars(stmt))

    def refused_among(self, emails: list[str], lead_ids: list[int | None]) -> tuple[set[str], set[int]]:
        """refusal() for many: the suppressed addresses (lower-cased) among `emails`, and the leads among
        `lead_ids` without email consent (or not found)."""
        wanted = sorted({e.strip().lower() for e in emails if e})
        suppressed = set() if not wanted else {
            e.lower() for e in self.session.scalars(select(Suppression.email)
                                                    .where(func.lower(Suppression.email).in_(wanted)))}
        ids = {i for i in lead_ids if i is not None}
        consenting = set() if not ids else set(self.session.scalars(
            select(Lead.id).where(Lead.id.in_(ids), Lead.email_consent.is_(True))))
        return suppressed, ids - consenting

    def add_many(self, rows: list[dict]) -> set[str]:
        """Queue many messages (column values) with one insert; the keys written. A key queued already
        (a concurrent duplicate) is left out, not an error; any other refusal raises and writes nothing."""
        if not rows:
            return set()
        with self.session.begin_nested():
            written = insert_many(self.session.connection(), EmailMessage.__table__, rows,
                                  skip_conflicts_on=("idempotency_key",), returning=("idempotency_key",))
        if written:
            self.session.info[MAIL_QUEUED] = True  # the dispatcher wakes after this transaction commits
        return {key for (key,) in written}
