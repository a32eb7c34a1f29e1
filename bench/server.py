"""The app under test: settings on a temporary folder, the app built once, waitress on a free loopback port.

The only module of the bench that imports the project (config and app), so `bench.report` and
`bench.stats` stay importable without Flask, Dash or a database.
"""
from __future__ import annotations

from contextlib import contextmanager

import threading
import time
from pathlib import Path

from sqlalchemy import text
from waitress.server import create_server

import app as cockpit
from config import Settings, load_settings
from runtime.heap import freeze_start_up_heap
from web.serving import close_waitress

# The bench signs in as these demo accounts; their password is the demo password.
ADMIN, MANAGER, SALES = "admin", "manager", "sales"


def bench_settings(folder: Path, leads: int) -> Settings:
    """The same settings tests/conftest.py's make_settings builds, with `leads` demo leads."""
    return load_settings(environ={}, overrides={
        "var_dir": folder, "database_url": f"sqlite:///{folder / 'cockpit.db'}",
        "analytics_path": folder / "analytics.duckdb", "secret_key": "bench-secret-key-0123456789",
        "demo": True, "demo_leads": leads, "api_token": "bench-token", "metrics_token": "bench-metrics",
        "mail_dir": folder / "mail",
        # a snapshot of the replica takes both cores for seconds: kept out of the timings (bench/replica_start.py)
        "analytics_snapshot_interval_s": 0})


def start_app(settings: Settings):
    """Build the app; returns (app, seconds spent seeding the demo data, seconds until it serves, seconds
    until the demo's history is logged as well). create_app serves while a large demo's history is still
    being logged: this waits for it, so the measurements never run beside it.

    create_app calls app.seed_demo by its module-global name, so wrapping that name for the duration
    of the call times the seeding alone without reaching past app into the data layer."""
    original, took = cockpit.seed_demo, {}

    def timed_seed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took["seed"] = time.perf_counter() - start

    cockpit.seed_demo = timed_seed
    try:
        start = time.perf_counter()
        server = cockpit.create_app(settings)
        freeze_start_up_heap()  # as `python app.py` does before it serves
        startup = time.perf_counter() - start
    finally:
        cockpit.seed_demo = original
    if "seed" not in took:
        raise RuntimeError("create_app did not seed the demo data (is demo mode off?)")
    history = server.extensions["demo_history"]
    history.wait()
    if history.written is None:
        raise RuntimeError("the demo history was not logged (see the log above)")
    return server, took["seed"], startup, time.perf_counter() - start


@contextmanager
def computed_reads(server):
    """Within the block every cockpit and analytics read is computed afresh, as on the first request
    after an event: the rows measured here show what a shared snapshot saves and what a miss costs."""
    snapshots = server.extensions["cockpit"].snapshots
    kept, snapshots.max_age_s = snapshots.max_age_s, 0
    try:
        yield
    finally:
        snapshots.max_age_s = kept


def stop_app(server) -> None:
    """Stop every worker create_app started, then close the stores (as `python app.py` does at its end)."""
    cockpit.shutdown(server)


class Served:
    """The app served by waitress (8 threads) on a free loopback port in a background thread."""

    def __init__(self, server):
        self._server = create_server(server, host="127.0.0.1", port=0, threads=8, ident="bench")
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="bench-waitress", daemon=True)

    def __enter__(self) -> "Served":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        close_waitress(self._server)
        self._thread.join(timeout=5)


def _scalar(server, sql: str, **params):
    with server.extensions["cockpit"].engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def count_rows(server, table: str) -> int:
    if table not in ("leads", "activities"):
        raise ValueError(f"not a table the bench counts: {table}")
    return int(_scalar(server, f"SELECT count(*) FROM {table}") or 0)


def busiest_lead(server, username: str) -> int:
    """The id of the lead with the longest history among those `username` owns (the detail page's worst case)."""
    lead_id = _scalar(server, "SELECT a.lead_id FROM activities a JOIN leads l ON l.id = a.lead_id "
                              "JOIN users u ON u.id = l.owner_id WHERE u.username = :name "
                              "GROUP BY a.lead_id ORDER BY count(*) DESC, a.lead_id LIMIT 1", name=username)
    if lead_id is None:
        raise RuntimeError(f"{username} owns no lead with activities; is BENCH_LEADS too small?")
    return int(lead_id)
