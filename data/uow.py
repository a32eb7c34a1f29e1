"""Unit of work: one transaction, its repositories, and the events it produced (cosmicpython)."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from data.db import writer_queue
from data.conversions import SqlAlchemyConversions
from data.events import SqlAlchemyEvents, SqlAlchemyInbox
from data.followups import SqlAlchemyFollowups
from data.held_events import SqlAlchemyHeldEvents
from data.tracking import SqlAlchemyTracking
from data.repositories import SqlAlchemyLeads, SqlAlchemyUsers
from data.signin_attempts import SqlAlchemySigninAttempts
from data.sink_deliveries import SqlAlchemySinkDeliveries


class SqlAlchemyUnitOfWork:
    """`with uow:` opens a transaction; `commit()` makes it durable; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker, write: bool = True, listeners: list | None = None):
        self._session_factory = session_factory
        self._write = write
        self._listeners = listeners if listeners is not None else []
        self.session: Session | None = None

    def on_events_committed(self, listener) -> None:
        """Call `listener()` after every commit that wrote events (the relay's wake-up)."""
        self._listeners.append(listener)

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
        wrote_events = self.session.info.pop("events_written", False)
        self.session.commit()
        if wrote_events:
            for listener in self._listeners:
                listener()

    def rollback(self) -> None:
        self.session.rollback()
