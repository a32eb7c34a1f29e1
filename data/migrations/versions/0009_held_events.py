"""held events: per-consumer retries, parked events and the events held behind them

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_events",
        sa.Column("consumer", sa.String(length=60), nullable=False),
        sa.Column("event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("held_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("parked_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("discarded_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("discarded_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["event_seq"], ["events.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consumer", "event_seq"),
    )
    op.create_index("ix_held_events_consumer_subject", "held_events", ["consumer", "subject", "event_seq"])


def downgrade() -> None:
    op.drop_index("ix_held_events_consumer_subject", table_name="held_events")
    op.drop_table("held_events")
