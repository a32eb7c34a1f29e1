"""follow-up automation: one row per (lead, step, clock start), claimed before sending

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followup_steps",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("clock_start", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("planned_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("email_key", sa.String(length=160), nullable=True),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_followup_steps_lead_id", "followup_steps", ["lead_id"])
    op.create_index("ix_followup_steps_status_claimed", "followup_steps", ["status", "claimed_at"])
    op.create_table(
        "followup_pauses",
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("paused_by", sa.Integer(), nullable=True),
        sa.Column("paused_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paused_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index("ix_leads_next_followup_at", "leads", ["next_followup_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_next_followup_at", table_name="leads")
    op.drop_table("followup_pauses")
    op.drop_index("ix_followup_steps_status_claimed", table_name="followup_steps")
    op.drop_index("ix_followup_steps_lead_id", table_name="followup_steps")
    op.drop_table("followup_steps")
