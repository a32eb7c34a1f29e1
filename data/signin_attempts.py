"""Failed sign-ins (table signin_failures), one row per failure and throttle key, so every process
on one database sees the same count. Keys are hashed: a password typed into the username field must
not end up stored in clear."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Index, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from data.locks import SIGNIN_DELETES, AdvisoryLock, hold_until_transaction_ends
from data.models import Base, BigId


class SigninFailure(Base):
    __tablename__ = "signin_failures"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # "account" or "address"
    key: Mapped[str] = mapped_column(String(64))  # sha256 hex of the normalised username or address
    failed_at: Mapped[datetime]
    __table_args__ = (Index("ix_signin_failures_key", "kind", "key", "failed_at"),
                      Index("ix_signin_failures_failed_at", "failed_at"))  # for the purge


class SqlAlchemySigninAttempts:
    def __init__(self, session: Session):
        self.session = session

    def _advisory_lock(self, objid: int) -> None:
        """Held until the transaction ends. SQLite needs none: its writers already take turns."""
        hold_until_transaction_ends(self.session, AdvisoryLock.SIGNIN_ATTEMPTS, objid)

    def lock(self, kind: str, key: str) -> None:
        """Other transactions wait to count this key's failures: without it, a burst of parallel
        guesses would all read the same count. Callers lock every account before any address."""
        digest = hashlib.sha256(f"{kind}:{key}".encode()).digest()
        self._advisory_lock(int.from_bytes(digest[:4], "big", signed=True) or 1)

    def recent(self, kind: str, key: str, since: datetime, limit: int) -> list[datetime]:
        """The newest `limit` failure times of one key after `since`, newest first."""
        stmt = (select(SigninFailure.failed_at)
                .where(SigninFailure.kind == kind, SigninFailure.key == key, SigninFailure.failed_at > since)
                .order_by(SigninFailure.failed_at.desc()).limit(limit))
        return list(self.session.scalars(stmt))

    def record(self, keys: list[tuple[str, str]], at: datetime) -> None:
        self.session.execute(insert(SigninFailure), [{"kind": kind, "key": key, "failed_at": at} for kind, key in keys])

    def clear(self, kind: str, key: str) -> None:
        self._advisory_lock(SIGNIN_DELETES)  # two deletes could lock the same rows in opposite orders
        self.session.execute(delete(SigninFailure).where(SigninFailure.kind == kind, SigninFailure.key == key))

    def purge_before(self, cutoff: datetime) -> int:
        """Forget failures too old to count, in one statement."""
        self._advisory_lock(SIGNIN_DELETES)
        return self.session.execute(delete(SigninFailure).where(SigninFailure.failed_at <= cutoff)).rowcount

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(SigninFailure)))
