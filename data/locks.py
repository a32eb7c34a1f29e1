"""Every PostgreSQL advisory lock key the application takes, in one list, so no two purposes share one.

Advisory locks are keyed by numbers the whole database shares: two modules picking the same number
would make unrelated work wait for each other. SQLite needs none of them (one writer at a time).
"""
from __future__ import annotations

from enum import IntEnum, unique

from sqlalchemy import text
from sqlalchemy.orm import Session


@unique
class AdvisoryLock(IntEnum):
    MIGRATIONS = 727001  # session lock: one process upgrades the schema (data/migrate.py)
    DEMO_SEEDING = 727002  # transaction lock: one process seeds an empty database (demo/seed.py)
    SCHEDULER_LEADER = 727003  # session lock held while a process leads the scheduled jobs (data/leadership.py)
    TEMPLATE_SEEDING = 727004  # transaction lock: one process creates the shipped templates (data/templates.py)
    ANALYTICS_SNAPSHOT = 727005  # transaction lock: one process writes the next analytics snapshot (data/snapshot_turns.py)
    # First key of the two-key locks on sign-in attempts; the second key is a hash of the throttle key,
    # or SIGNIN_DELETES for deletes of many rows (data/signin_attempts.py).
    SIGNIN_ATTEMPTS = 727012


SIGNIN_DELETES = 0  # second key beside SIGNIN_ATTEMPTS: deletes of many rows take turns


def hold_until_transaction_ends(session: Session, lock: AdvisoryLock, second_key: int | None = None) -> None:
    """Take `lock` (with `second_key`, the two-key form) until the session's transaction ends; other
    transactions asking for it wait. PostgreSQL only: on SQLite the writers already take turns."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if second_key is None:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(lock)})
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(:key, :id)"), {"key": int(lock), "id": second_key})


def try_hold_until_transaction_ends(session: Session, lock: AdvisoryLock) -> bool:
    """Take `lock` until the session's transaction ends if no other transaction holds it; False when one
    does (never waits). SQLite: always True (one process)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": int(lock)}).scalar())
