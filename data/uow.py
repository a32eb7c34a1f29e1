"""Unit of work: one transaction, its repositories, and the events it produced (cosmicpython)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy.orm import Session, sessionmaker

from data import commit_flags
from data.db import writer_queue
from data.conversions import SqlAlchemyConversions
from data.email_messages import SqlAlchemyEmailMessages
from data.events import SqlAlchemyEvents, SqlAlchemyInbox
from data.followups import SqlAlchemyFollowups
from data.held_events import SqlAlchemyHeldEvents
from data.tracking import SqlAlchemyTracking
from data.repositories import SqlAlchemyLeads, SqlAlchemyUsers
from data.signin_attempts import SqlAlchemySigninAttempts
from data.sink_deliveries import SqlAlchemySinkDeliveries
from data.analytics_store import SqlAlchemyAnalytics
from data.duckdb_feed import SqlAlchemyEventFeed
from data.lead_history import SqlAlchemyLeadHistory
from data.lead_grid import SqlAlchemyLeadGrid
from data.decision_grid import SqlAlchemyDecisionGrid
from data.registration_links import SqlAlchemyRegistrationLinks
from data.suppressions import SqlAlchemySuppressions
from data.tasks import SqlAlchemyTasks
from data.operations import SqlAlchemyOperations
from data.templates import SqlAlchemyTemplates


class SqlAlchemyUnitOfWork:
    """`with uow:` opens a transaction; `commit()` makes it durable; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker, write: bool = True, listeners: dict | None = None):
        self._session_factory = session_factory
        self._write = write
        self._listeners = listeners if listeners is not None else {}
        self.session: Session | None = None

    def on_committed(self, flag: str, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` after every commit of a transaction that set `flag` (data.commit_flags):
        how this process's commits wake the workers. Returns the function that unsubscribes it."""
        listeners = self._listeners.setdefault(flag, [])
        listeners.append(listener)

        def unsubscribe() -> None:
            if listener in listeners:
                listeners.remove(listener)
        return unsubscribe

    @property
    def dialect(self) -> str:
        return self._session_factory.kw["bind"].dialect.name

    @property
    def session_factory(self) -> sessionmaker:
        return self._session_factory

    def __call__(self, write: bool = True) -> "SqlAlchemyUnitOfWork":
        """A fresh unit of work of the same kind: services take a factory and open one per use case."""
        return SqlAlchemyUnitOfWork(self._session_factory, write=write, listeners=self._listeners)

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        self._queue = writer_queue(self._session_factory.kw["bind"]) if self._write else None
        if self._queue is not None:
            self._queue.acquire()  # this process's writers take turns (data.db.WriterQueue)
        try:
            self.session = self._session_factory()
            if self._queue is not None:
                self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        except BaseException:
            self._release()
            raise
        self.users = SqlAlchemyUsers(self.session)
        self.leads = SqlAlchemyLeads(self.session)
        self.events = SqlAlchemyEvents(self.session)
        self.inbox = SqlAlchemyInbox(self.session)
        self.held_events = SqlAlchemyHeldEvents(self.session)
        self.tracking = SqlAlchemyTracking(self.session)
        self.followups = SqlAlchemyFollowups(self.session)
        self.sink_deliveries = SqlAlchemySinkDeliveries(self.session)
        self.conversions = SqlAlchemyConversions(self.session)
        self.signin_attempts = SqlAlchemySigninAttempts(self.session)
        self.templates = SqlAlchemyTemplates(self.session)
        self.suppressions = SqlAlchemySuppressions(self.session)
        self.email_messages = SqlAlchemyEmailMessages(self.session)
        self.analytics = SqlAlchemyAnalytics(self.session)
        self.event_feed = SqlAlchemyEventFeed(self.session)
        self.lead_history = SqlAlchemyLeadHistory(self.session)
        self.lead_grid = SqlAlchemyLeadGrid(self.session)
        self.decision_grid = SqlAlchemyDecisionGrid(self.session)
        self.registration_links = SqlAlchemyRegistrationLinks(self.session)
        self.tasks = SqlAlchemyTasks(self.session)
        self.operations = SqlAlchemyOperations(self.session)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            try:
                self.session.close()
            finally:
                self._release()

    def _release(self) -> None:
        if self._queue is not None:
            self._queue, queue = None, self._queue
            queue.release()

    def commit(self) -> None:
        # Every flag is cleared, subscribed or not: the next transaction of this session starts afresh.
        flags = [flag for flag in {*commit_flags.ALL, *self._listeners} if self.session.info.pop(flag, False)]
        if self._write:
            flags.append(commit_flags.ANY_WRITE)
        self.session.commit()
        for flag in flags:
            for listener in tuple(self._listeners.get(flag, ())):
                listener()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        """Write what is pending now, within the transaction: later statements of it see the rows."""
        self.session.flush()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception leaving the block rolls back only the block's writes
        (and propagates); otherwise its writes are flushed, so a failing constraint fails here."""
        with self.session.begin_nested():
            yield
            self.session.flush()

    def detach_loaded(self) -> None:
        """The objects loaded so far stay readable after the transaction ends (a rollback would expire
        them), but no longer track changes."""
        self.session.expunge_all()
