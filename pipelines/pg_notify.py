"""Cross-process wake-up on PostgreSQL: every process hears every commit that wrote events.

The transaction that writes events sends `NOTIFY cockpit_events` (data/events.py), delivered by
PostgreSQL at commit. One PgEventListener thread per process LISTENs on a dedicated autocommit
connection and calls the registered callbacks (the relay's wake-up, the live cockpit's) on each
notification. Notifications sent while it was disconnected are lost, so after every (re)connect it
calls the callbacks once: the relay then catches up at once instead of at its next poll. A lost
connection is retried with runtime.worker's backoff, from 0.2 s up to 30 s.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import psycopg
from psycopg import sql

from data.db import libpq_url, when_disposed
from data.events import EVENTS_CHANNEL
from runtime.worker import Worker

log = logging.getLogger(__name__)
RECONNECT_BASE = 0.2  # the first reconnect's delay, doubling per failure in a row
# Keepalives notice a connection that died silently (a dropped network path) within about 20 s.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 2}


class PgEventListener(Worker):
    quiet_errors = (psycopg.Error,)  # a lost connection: one warning line, then a reconnect

    def __init__(self, conninfo: str, channel: str = EVENTS_CHANNEL, check_seconds: float = 0.25):
        super().__init__("pg-event-listener", poll_seconds=RECONNECT_BASE, join_seconds=5.0)
        self.conninfo, self.channel, self.check_seconds = conninfo, channel, check_seconds
        self._callbacks: list[Callable[[], None]] = []
        self._connected = threading.Event()
        self.backend_pid: int | None = None  # the server process of the LISTEN connection

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def pass_once(self) -> bool:
        """Listen until stopped; a lost connection raises (and is retried)."""
        try:
            self._listen()
        finally:
            self._connected.clear()
        return False

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, **KEEPALIVES) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.backend_pid = conn.info.backend_pid
            self._connected.set()
            self.reset_backoff()  # a connection that worked and then broke retries fast
            self._notify_callbacks()  # catch up on what was committed while we did not listen
            while not self.stopping:
                for _ in conn.notifies(timeout=self.check_seconds):
                    self._notify_callbacks()

    def _notify_callbacks(self) -> None:
        for callback in self._callbacks:
            try:
                callback()
            except Exception:  # one failing subscriber must not deafen the others
                log.exception("event notification callback failed")


conninfo_of = libpq_url  # the PostgreSQL engine's URL for the LISTEN connection of our own


def listen_for_events(engine, *callbacks: Callable[[], None]) -> PgEventListener:
    """Start a listener for this process; it stops when the engine is disposed."""
    listener = PgEventListener(conninfo_of(engine))
    for callback in callbacks:
        listener.subscribe(callback)
    when_disposed(engine, listener.stop)
    return listener.start()
