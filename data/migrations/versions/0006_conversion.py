"""lead -> customer conversion: decisions and the reply review queue

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = data.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversion_decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("reply_source", sa.String(length=200), nullable=True),
        sa.Column("reply_event_id", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("fact", sa.String(length=40), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("customer_id", BigId, nullable=True),
        sa.Column("decided_at", Time, nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["conversion_rules.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conversion_decisions_lead", "conversion_decisions", ["lead_id", "decided_at"])
    op.create_index("ix_conversion_decisions_time", "conversion_decisions", ["decided_at"])
    op.create_table(
        "reply_reviews",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("reply_source", sa.String(length=200), nullable=False),
        sa.Column("reply_event_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("suggested_label", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("replied_at", Time, nullable=False),
        sa.Column("label", sa.String(length=16), nullable=True),
        sa.Column("labelled_by", sa.Integer(), nullable=True),
        sa.Column("labelled_at", Time, nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["labelled_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_source", "reply_event_id", name="uq_reply_reviews_reply"),
    )
    op.create_index("ix_reply_reviews_lead_id", "reply_reviews", ["lead_id"])
    op.create_index("ix_reply_reviews_open", "reply_reviews", ["label", "replied_at"])


def downgrade() -> None:
    op.drop_index("ix_reply_reviews_open", table_name="reply_reviews")
    op.drop_index("ix_reply_reviews_lead_id", table_name="reply_reviews")
    op.drop_table("reply_reviews")
    op.drop_index("ix_conversion_decisions_time", table_name="conversion_decisions")
    op.drop_index("ix_conversion_decisions_lead", table_name="conversion_decisions")
    op.drop_table("conversion_decisions")
