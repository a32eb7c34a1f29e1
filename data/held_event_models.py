"""Events a consumer has not applied: failed (retried with backoff, then parked) or held behind an
earlier failed event of the same subject, so that consumer keeps per-subject order while every other
consumer and every other subject flows on."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base, BigId


class HeldEvent(Base):
    """Pending while discarded_at is empty. Per (consumer, subject) the lowest seq is the head: it is
    retried at next_attempt_at until it applies or parked_at is set; rows behind it (attempts 0) wait."""

    __tablename__ = "held_events"
    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    event_seq: Mapped[int] = mapped_column(BigId, ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # the reason, one line
    error_detail: Mapped[str | None] = mapped_column(Text)  # a traceback summary: where it failed
    held_at: Mapped[datetime]
    parked_at: Mapped[datetime | None]  # given up after the last retry: waits for an admin
    discarded_at: Mapped[datetime | None]
    discarded_by: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_held_events_consumer_subject", "consumer", "subject", "event_seq"),)


__all__ = ["HeldEvent"]
