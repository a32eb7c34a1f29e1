"""Shared fixtures: settings on a temporary folder, a fresh app per test, a live server, PostgreSQL."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from runtime.heap import heap_frozen  # noqa: E402
from web.serving import close_waitress, serve_options  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_settings(tmp_path: Path, **overrides):
    base = {"var_dir": tmp_path, "database_url": f"sqlite:///{tmp_path / 'cockpit.db'}",
            "analytics_path": tmp_path / "analytics.duckdb", "secret_key": "test-secret-key-0123456789",
            "demo": True, "demo_leads": 300, "api_token": "test-token", "metrics_token": "test-metrics",
            "mail_dir": tmp_path / "mail"}
    base.update(overrides)
    return load_settings(environ={}, overrides=base)


def shutdown(server) -> None:
    """Stop an app's background threads and release its databases (see app.shutdown)."""
    from app import shutdown as stop_app

    stop_app(server)


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def app(settings):
    from app import create_app

    server = create_app(settings)
    yield server
    shutdown(server)


class LiveServer:
    """The app served by waitress on a free loopback port, in a background thread."""

    def __init__(self, app):
        from waitress.server import create_server

        # production's connection options (web/serving.py); fewer threads: a test holds few streams
        options = {**serve_options(app.extensions["cockpit"].settings), "threads": 8, "ident": "test"}
        self._server = create_server(app, host="127.0.0.1", port=0, **options)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._closing = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self._server.run()
        except OSError:
            if not self._closing:  # closing the sockets under waitress's select() ends it this way
                raise

    def close(self):
        self._closing = True
        close_waitress(self._server)
        self._thread.join(timeout=5)


@contextlib.contextmanager
def serving_demo_app(folder: Path, **overrides):
    """A fresh demo app behind a live server, for module-scoped fixtures; each module gets its own
    database, so one module's password changes or deactivations never leak into another's."""
    from app import create_app

    app = create_app(make_settings(folder, **overrides))
    # As `python app.py` freezes its start-up heap: here it is this test process's whole heap, and a
    # full collection of it stalls the served app for longer than the live tests allow. Unfrozen after,
    # so what the module leaves behind is still collected.
    with heap_frozen():
        live = LiveServer(app)
        try:
            yield live, app
        finally:
            live.close()
            shutdown(app)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.close()


@contextlib.contextmanager
def fresh_pg_database():
    """A new, empty PostgreSQL database; its URL is yielded and the database dropped afterwards."""
    name = f"fc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards. Never skipped: the
    server runs on every machine of this project and on CI."""
    with fresh_pg_database() as url:
        yield url


def wait_for(predicate, timeout: float = 20.0, every: float = 0.02) -> bool:
    """Poll `predicate` until it is true (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
