"""Cross-process wake-up on PostgreSQL: every process hears every commit that wrote events.

The transaction that writes events sends `NOTIFY cockpit_events` (data/events.py), delivered by
PostgreSQL at commit. One PgEventListener thread per process LISTENs on a dedicated autocommit
connection and calls the registered callbacks (the relay's wake-up, the live cockpit's) on each
notification. Notifications sent while it was disconnected are lost, so after every (re)connect it
calls the callbacks once: the relay then catches up at once instead of at its next poll.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import psycopg
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy import event as sa_event

from data.events import EVENTS_CHANNEL

log = logging.getLogger(__name__)
RECONNECT_BASE, RECONNECT_CAP = 0.2, 30.0
# Keepalives notice a connection that died silently (a dropped network path) within about 20 s.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 2}


class PgEventListener:
    def __init__(self, conninfo: str, channel: str = EVENTS_CHANNEL, check_seconds: float = 0.25):
        self.conninfo, self.channel, self.check_seconds = conninfo, channel, check_seconds
        self._callbacks: list[Callable[[], None]] = []
        self._stop, self._connected = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self.backend_pid: int | None = None  # the server process of the LISTEN connection

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def start(self) -> "PgEventListener":
        self._thread = threading.Thread(target=self._run, name="pg-event-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                failures = 1 if self._connected.is_set() else failures + 1  # a lost connection retries fast
                delay = min(RECONNECT_CAP, RECONNECT_BASE * 2 ** (failures - 1))
                log.warning("event notifications lost (%s); reconnecting in %.1f s", str(exc).strip(), delay)
                self._stop.wait(delay)
            finally:
                self._connected.clear()

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, **KEEPALIVES) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.backend_pid = conn.info.backend_pid
            self._connected.set()
            self._notify_callbacks()  # catch up on what was committed while we did not listen
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=self.check_seconds):
                    self._notify_callbacks()

    def _notify_callbacks(self) -> None:
        for callback in self._callbacks:
            try:
                callback()
            except Exception:  # one failing subscriber must not deafen the others
                log.exception("event notification callback failed")


def conninfo_of(engine: Engine) -> str:
    """The libpq URL of an SQLAlchemy PostgreSQL engine (its driver name dropped)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def listen_for_events(engine: Engine, *callbacks: Callable[[], None]) -> PgEventListener:
    """Start a listener for this process; it stops when the engine is disposed."""
    listener = PgEventListener(conninfo_of(engine))
    for callback in callbacks:
        listener.subscribe(callback)
    sa_event.listen(engine, "engine_disposed", lambda _engine: listener.stop())
    return listener.start()
