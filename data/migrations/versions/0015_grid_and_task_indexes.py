"""indexes for the leads grid's default orders within an owner (and team) or a team and by score, and for counting
a scope's open tasks

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_team_owner_registered", "leads", ["team_id", "owner_id", "registered_at"])
    op.create_index("ix_leads_team_registered", "leads", ["team_id", "registered_at"])
    op.create_index("ix_leads_score", "leads", ["score"])
    still_open = sa.text("done_at IS NULL")
    op.create_index("ix_tasks_open_lead", "tasks", ["lead_id"], sqlite_where=still_open, postgresql_where=still_open)


def downgrade() -> None:
    op.drop_index("ix_tasks_open_lead", table_name="tasks")
    op.drop_index("ix_leads_score", table_name="leads")
    op.drop_index("ix_leads_team_registered", table_name="leads")
    op.drop_index("ix_leads_team_owner_registered", table_name="leads")
