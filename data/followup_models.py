"""Follow-up records: one row per (lead, step, clock start), and leads whose follow-ups are paused."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models import BigId, Base, Lead


class FollowupStepRecord(Base):
    """The claim of one step: its unique key is inserted in the transaction that queues the mail, so
    a second scheduler, a crash or a rerun can never send the same step twice."""

    __tablename__ = "followup_steps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(8))
    clock_start: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8))  # claimed, sent, skipped, failed
    reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    planned_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    email_key: Mapped[str | None] = mapped_column(String(160))  # email_messages.idempotency_key
    run_id: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_followup_steps_status_claimed", "status", "claimed_at"),
                      Index("ix_followup_steps_claimed_at", "claimed_at"))


class FollowupPause(Base):
    """A lead whose automated follow-ups a person paused; resuming deletes the row."""

    __tablename__ = "followup_pauses"
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    paused_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paused_at: Mapped[datetime]


# The run selects its candidates by this index: `next_followup_at <= now`.
Index("ix_leads_next_followup_at", Lead.next_followup_at)
