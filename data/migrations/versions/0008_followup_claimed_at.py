"""follow-up backlog: claims by time, so the cockpit rebuilds past backlogs from recent claims only

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_followup_steps_claimed_at", "followup_steps", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_followup_steps_claimed_at", table_name="followup_steps")
