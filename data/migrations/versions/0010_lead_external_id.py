"""lead external id: the id another system gave a lead at registration, so its later events
(a sample delivery, a reply) can name the lead by it

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.create_index("ix_leads_external_id", ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch:
        batch.drop_index("ix_leads_external_id")
        batch.drop_column("external_id")
