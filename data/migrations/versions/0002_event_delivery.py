"""event delivery: retry time, last error, extensions, content hash; per-subject order index

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import data.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("next_attempt_at", data.types.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("extensions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch.drop_index("ix_events_subject")
        batch.create_index("ix_events_subject_seq", ["subject", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_subject_seq")
        batch.create_index("ix_events_subject", ["subject"])
        batch.drop_column("content_hash")
        batch.drop_column("extensions")
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
