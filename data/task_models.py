"""Call tasks of the leads' owners, and the operators' record of what they settled by hand (retried,
discarded, marked sent, lifted) with who, when and why."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base, BigId, Suppression
from data.sink_models import SinkDelivery


class Task(Base):
    """Open while done_at is empty. `key` is the reminder step's key, unique: a rerun, a second
    scheduler or a replayed batch never gives a lead's reminder a second task. Who sees a task follows
    its lead (owner and team), like every other lead row."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    snoozes: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_tasks_open_due", "done_at", "due_at"),
                      # the open tasks of a scope's leads, counted lead by lead (the cockpit's task count)
                      Index("ix_tasks_open_lead", "lead_id", sqlite_where=text("done_at IS NULL"),
                            postgresql_where=text("done_at IS NULL")))


class OperatorAction(Base):
    """One thing an admin did by hand to a dead letter, a mail or a suppression. A discard is final:
    the lists leave out what was discarded. `details` keeps what the row said when it was acted on
    (a lifted suppression's reason and source, the failure shown)."""

    __tablename__ = "operator_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action: Mapped[str] = mapped_column(String(24))  # e.g. sink.retry, mail.discard, suppression.lift
    target: Mapped[str] = mapped_column(String(300))  # "<sink>/<seq>", a message id, an address
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    details: Mapped[dict | None]
    __table_args__ = (Index("ix_operator_actions_target", "action", "target"),
                      Index("ix_operator_actions_at", "at"))


# The operations page lists dead letters and the suppression list newest first.
Index("ix_sink_deliveries_dead", SinkDelivery.dead_at, sqlite_where=SinkDelivery.dead_at.is_not(None),
      postgresql_where=SinkDelivery.dead_at.is_not(None))
Index("ix_suppressions_created_at", Suppression.created_at)

__all__ = ["OperatorAction", "Task"]
