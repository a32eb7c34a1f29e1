"""follow-up backlog: the claims handled on a later day than planned, by claim time, so the cockpit's
backlog of past days reads those alone (a claim handled on its planned day was never waiting at a day's end)

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The same text as data/due_backlog.OVERNIGHT, on each database: a query uses a partial index only
# where its WHERE repeats the index's condition.
OVERNIGHT = {
    "sqlite": "substr(planned_at, 1, 10) < substr(claimed_at, 1, 10)",  # UTC, stored as 'YYYY-MM-DD hh:mm:ss'
    "postgresql": "(timezone('UTC', planned_at))::date < (timezone('UTC', claimed_at))::date",
}


def upgrade() -> None:
    condition = OVERNIGHT[op.get_bind().dialect.name]
    # Every column the backlog reads is in the index: it never visits the table.
    op.execute("CREATE INDEX ix_followup_steps_overnight ON followup_steps (claimed_at, planned_at, step, lead_id) "
               f"WHERE {condition}")


def downgrade() -> None:
    op.drop_index("ix_followup_steps_overnight", table_name="followup_steps")
