"""Engines and sessions: SQLite in WAL mode with a busy timeout, or PostgreSQL, chosen by the URL."""
from __future__ import annotations

import threading
import weakref
from collections import deque
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


class WriteLockTimeout(Exception):
    """This process's writers queued longer than the busy timeout: the store is busy, retry later."""


class WriterQueue:
    """SQLite has one write lock per file. This process's writers take it in turn here, first come first
    served, instead of polling in SQLite's busy handler, where a late writer can overtake and starve an
    early one past its timeout ("database is locked" under load). Other processes still queue on
    busy_timeout."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._cond = threading.Condition()
        self._waiting: deque = deque()
        self._held = False

    def acquire(self) -> None:
        me = object()
        with self._cond:
            self._waiting.append(me)
            if not self._cond.wait_for(lambda: not self._held and self._waiting[0] is me, self.timeout_s):
                self._waiting.remove(me)
                self._cond.notify_all()
                raise WriteLockTimeout(f"no write turn within {self.timeout_s:g} s")
            self._waiting.popleft()
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


_WRITERS: "weakref.WeakKeyDictionary[Engine, WriterQueue]" = weakref.WeakKeyDictionary()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue of this engine's writers (SQLite); None where the database orders writers itself."""
    return _WRITERS.get(engine)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _WRITERS[engine] = WriterQueue(SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # The driver's own transaction handling is turned off so BEGIN IMMEDIATE can take the write
        # lock up front; otherwise two writers deadlock on lock upgrade instead of waiting.
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers ask for IMMEDIATE (see SqlAlchemyUnitOfWork) so they queue on busy_timeout;
        # readers stay DEFERRED and never wait for a writer under WAL.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raises when the database does not answer a trivial query."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def refresh_statistics(engine: Engine) -> None:
    """Have PostgreSQL count its tables again (ANALYZE) after a bulk load such as the demo seed. Until
    autovacuum's next round, up to a minute later, the planner takes the new tables for a row or two
    and joins them row by row: the cockpit's open-task count took 280 ms instead of 3 at 5,000 leads.
    SQLite keeps no statistics unless asked and plans well without them."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def libpq_url(engine: Engine) -> str:
    """The libpq URL of a PostgreSQL engine (its driver name dropped), for a connection of one's own."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def when_disposed(engine: Engine, callback) -> None:
    """Call `callback()` once the engine is disposed (the application shuts down)."""
    event.listen(engine, "engine_disposed", lambda _engine: callback())


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_PG_LOCK_SQLSTATES = {"55P03", "40P01", "40001"}  # lock not available, deadlock, serialization failure


def is_lock_timeout(exc) -> bool:
    """True when a DBAPIError means "could not get the lock in time": worth a retry, not a bug."""
    if isinstance(exc, WriteLockTimeout):
        return True
    orig = getattr(exc, "orig", exc)
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return getattr(orig, "sqlstate", None) in _PG_LOCK_SQLSTATES
