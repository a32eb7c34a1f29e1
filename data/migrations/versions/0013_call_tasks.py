"""call tasks: a lead still silent after T+7 gives its owner one task to call, keyed by the reminder step

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", data.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("snoozes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_tasks_lead_id", "tasks", ["lead_id"])
    op.create_index("ix_tasks_open_due", "tasks", ["done_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_index("ix_tasks_lead_id", table_name="tasks")
    op.drop_table("tasks")
