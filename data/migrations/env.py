"""Alembic environment: runs on the connection data.migrate hands over (online mode only)."""
from alembic import context

from data.models import Base
import data.followup_models  # noqa: F401  (registers the follow-up tables on Base)
import data.sink_models  # noqa: F401  (registers sink_deliveries in Base.metadata)
import data.held_event_models  # noqa: F401  (registers held_events)
import data.tracking  # noqa: F401  (registers email_tracking)
import data.conversion_models  # noqa: F401  (registers conversion_decisions and reply_reviews)
import data.analytics_models  # noqa: F401  (registers analytics_assumptions)
import data.signin_attempts  # noqa: F401  (registers signin_failures)
import data.task_models  # noqa: F401  (registers tasks and operator_actions)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
