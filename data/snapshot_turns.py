"""Whose turn it is to write the next analytics snapshot (pipelines/replica_snapshots.py): on PostgreSQL
the one process whose transaction holds AdvisoryLock.ANALYTICS_SNAPSHOT, the others skip the round; on
SQLite always this one (one process owns the file)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.locks import AdvisoryLock, try_hold_until_transaction_ends


class SnapshotTurns:
    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def taken(self) -> Iterator[bool]:
        """Yields whether this process may write now; the lock is held until the block ends."""
        with Session(self.engine) as session, session.begin():
            yield try_hold_until_transaction_ends(session, AdvisoryLock.ANALYTICS_SNAPSHOT)
