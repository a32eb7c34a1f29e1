"""Conversion records: every decision on a lead's positive reply, and replies waiting for a person."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base, BigId


class ConversionDecision(Base):
    """Why a lead was converted, rejected, left for review, or converted or undone by hand."""

    __tablename__ = "conversion_decisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    reply_source: Mapped[str | None] = mapped_column(String(200))
    reply_event_id: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))  # CONVERT, REJECT, REVIEW, UNDO
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("conversion_rules.id", ondelete="SET NULL"))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    fact: Mapped[str | None] = mapped_column(String(40))  # the readiness fact that decided, if no rule did
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    customer_id: Mapped[int | None] = mapped_column(BigId)
    decided_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the automation
    __table_args__ = (Index("ix_conversion_decisions_lead", "lead_id", "decided_at"),
                      Index("ix_conversion_decisions_time", "decided_at"))


class ReplyReview(Base):
    """A reply the classifier was unsure about: a person labels it, then the rules run."""

    __tablename__ = "reply_reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    reply_source: Mapped[str] = mapped_column(String(200))
    reply_event_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    suggested_label: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    cues: Mapped[list] = mapped_column(JSON, default=list)
    replied_at: Mapped[datetime]
    label: Mapped[str | None] = mapped_column(String(16))  # None while open
    labelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    labelled_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("reply_source", "reply_event_id", name="uq_reply_reviews_reply"),
                      Index("ix_reply_reviews_open", "label", "replied_at"))


__all__ = ["ConversionDecision", "ReplyReview"]
