"""Which process leads the scheduled jobs. On PostgreSQL exactly one: the one holding a session
advisory lock on a connection of its own; the others ask again at every tick and take over once the
leader's connection is gone. On SQLite always this one (one process owns the file)."""
from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from data.locks import AdvisoryLock

log = logging.getLogger(__name__)


class Leadership:
    """Whether this process leads the scheduled jobs. SQLite: always (one process owns the file)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn = None

    def is_leader(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True  # the session, and with it the lock, is still alive
            except Exception:  # noqa: BLE001 - connection lost: the lock went with it
                log.warning("lost the scheduler leader connection; trying to lead again")
                self._discard()
        return self._try_lock()

    def _try_lock(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            won = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": int(AdvisoryLock.SCHEDULER_LEADER)}).scalar())
        except Exception:  # noqa: BLE001 - database unreachable: not the leader this time
            log.exception("could not ask for the scheduler leader lock")
            won = False
        if won:
            self._conn = conn
            log.info("this process now leads the scheduler")
        else:
            conn.close()
        return won

    def _discard(self) -> None:
        try:
            self._conn.invalidate()  # never hand a connection holding the lock back to the pool
        finally:
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            self._discard()
