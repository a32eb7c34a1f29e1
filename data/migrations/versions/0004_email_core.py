"""email core: message states, provider attempts, template versions, unsubscribe

Revision ID: 0004
Revises: 0003
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import data.types  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# --- Block 1: delivery (mailer/queue.py, mailer/dispatcher.py) -------------------------------------
# Every message records the template version and A/B variant it was rendered from and the sender's
# context, so delivery events and analytics can be traced back to them.
def _upgrade_delivery() -> None:
    with op.batch_alter_table("email_messages") as batch:
        batch.add_column(sa.Column("template_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("template_variant", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("context", sa.JSON(), nullable=True))


def _downgrade_delivery() -> None:
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_column("context")
        batch.drop_column("template_variant")
        batch.drop_column("template_version")
# --- End of block 1 ------------------------------------------------------------------------------


# --- Block 2: templates (mailer/templates.py, services/templates.py) -------------------------------
# When a template version was activated: one version per kind+locale is active at a time.
def _upgrade_templates() -> None:
    with op.batch_alter_table("email_templates") as batch:
        batch.add_column(sa.Column("activated_at", data.types.UtcDateTime(timezone=True), nullable=True))


def _downgrade_templates() -> None:
    with op.batch_alter_table("email_templates") as batch:
        batch.drop_column("activated_at")
# --- End of block 2 ------------------------------------------------------------------------------


def upgrade() -> None:
    _upgrade_delivery()
    _upgrade_templates()


def downgrade() -> None:
    _downgrade_templates()
    _downgrade_delivery()
