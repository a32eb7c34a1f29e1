"""follow-up backlog: claims by time, and waiting leads by team and by owner, so the cockpit's
backlog reads only recent claims and the scope's own waiting leads

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
    op.create_index("ix_leads_team_next_followup", "leads", ["team_id", "next_followup_at"])
    op.create_index("ix_leads_owner_next_followup", "leads", ["owner_id", "next_followup_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_owner_next_followup", table_name="leads")
    op.drop_index("ix_leads_team_next_followup", table_name="leads")
    op.drop_index("ix_followup_steps_claimed_at", table_name="followup_steps")
