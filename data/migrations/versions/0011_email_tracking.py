"""email tracking: opens and clicks per message, the first of each kind an event, repeats counted

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_tracking",
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("first_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", data.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["email_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("email_tracking")
