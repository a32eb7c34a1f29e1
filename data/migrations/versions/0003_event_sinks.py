"""event sinks: per-sink delivery queue and dead letters

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sink_deliveries",
        sa.Column("sink", sa.String(length=40), nullable=False),
        sa.Column("event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("dead_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_seq"], ["events.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sink", "event_seq"),
    )
    op.create_index("ix_sink_deliveries_pending", "sink_deliveries", ["sink", "delivered_at", "dead_at", "event_seq"])


def downgrade() -> None:
    op.drop_index("ix_sink_deliveries_pending", table_name="sink_deliveries")
    op.drop_table("sink_deliveries")
