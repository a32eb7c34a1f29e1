"""The per-sink delivery queue: one row per (sink, event), written when the relay marks the event."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base, BigId


class SinkDelivery(Base):
    """Pending while delivered_at and dead_at are both empty; dead_at with last_error is a dead letter."""

    __tablename__ = "sink_deliveries"
    sink: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_seq: Mapped[int] = mapped_column(BigId, ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_sink_deliveries_pending", "sink", "delivered_at", "dead_at", "event_seq"),)


__all__ = ["SinkDelivery"]
