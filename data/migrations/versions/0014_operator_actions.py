"""operator actions: dead sink deliveries and mail retried or discarded, suppressions lifted, by whom and why

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operator_actions_target", "operator_actions", ["action", "target"])
    op.create_index("ix_operator_actions_at", "operator_actions", ["at"])
    dead = sa.text("dead_at IS NOT NULL")
    op.create_index("ix_sink_deliveries_dead", "sink_deliveries", ["dead_at"], sqlite_where=dead, postgresql_where=dead)
    op.create_index("ix_suppressions_created_at", "suppressions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_suppressions_created_at", table_name="suppressions")
    op.drop_index("ix_sink_deliveries_dead", table_name="sink_deliveries")
    op.drop_index("ix_operator_actions_at", table_name="operator_actions")
    op.drop_index("ix_operator_actions_target", table_name="operator_actions")
    op.drop_table("operator_actions")
