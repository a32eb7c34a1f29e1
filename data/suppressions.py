"""Addresses that get no more mail (table suppressions), and the leads' consent that goes with them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.models import Activity, Lead, Suppression


class SqlAlchemySuppressions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, email: str, reason: str, source: str, now: datetime) -> bool:
        """Suppress `email` (normalised by the caller); False when it was suppressed already."""
        if self.session.scalar(select(Suppression.id).where(Suppression.email == email)) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(Suppression(email=email, reason=reason, source=source[:80], created_at=now))
        except IntegrityError:
            return False  # a concurrent request suppressed it a moment ago
        return True

    def leads_for_update(self, email: str) -> list[Lead]:
        """Every lead with this address (lower-cased by the caller), locked on PostgreSQL (FOR UPDATE):
        a concurrent opt-out of the same address waits and then sees consent off."""
        stmt = select(Lead).where(func.lower(Lead.email) == email).order_by(Lead.id).with_for_update()
        return list(self.session.scalars(stmt))

    def add_opt_out_note(self, activity: Activity) -> None:
        """The lead's record of an opt-out; unlike `SqlAlchemyLeads.add_activity` it is not credited
        to a customer the lead became."""
        self.session.add(activity)
