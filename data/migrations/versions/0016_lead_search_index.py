"""lead search: a trigram index over company, contact, email and city, so a substring search reads the
matching leads instead of every lead (SQLite: an FTS5 trigram table kept by triggers; PostgreSQL: pg_trgm)

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ("company", "contact_name", "email", "city")
_LIST = ", ".join(COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in COLUMNS)
# An external-content FTS5 table stores only the index; the triggers keep it equal to the leads table
# ('delete' needs the values that were indexed, hence old.*).
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE leads_search USING fts5({_LIST}, content='leads', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN "
    f"INSERT INTO leads_search(rowid, {_LIST}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN "
    f"INSERT INTO leads_search(leads_search, rowid, {_LIST}) VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER leads_search_update AFTER UPDATE OF {_LIST} ON leads BEGIN "
    f"INSERT INTO leads_search(leads_search, rowid, {_LIST}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO leads_search(rowid, {_LIST}) VALUES (new.id, {_NEW}); END",
    "INSERT INTO leads_search(leads_search) VALUES ('rebuild')",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS leads_search_update", "DROP TRIGGER IF EXISTS leads_search_delete",
               "DROP TRIGGER IF EXISTS leads_search_insert", "DROP TABLE IF EXISTS leads_search"]
# pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. ILIKE '%term%' uses
# these indexes for terms of three characters or more.
POSTGRES_UP = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX ix_leads_{c}_trigram ON leads USING gin ({c} gin_trgm_ops)" for c in COLUMNS]
POSTGRES_DOWN = [f"DROP INDEX IF EXISTS ix_leads_{c}_trigram" for c in COLUMNS]


def upgrade() -> None:
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
