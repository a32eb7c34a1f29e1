"""The event pipeline over HTTP (DESIGN section 8): ingest one event per request and in batches of
1,000, an end-to-end drain, and event-to-screen under a sustained load.

Each database gets its own app: demo data seeded; the relay, analytics projection and mail dispatcher
threads on, as `make run` has them; scheduler and demo simulator off, so the bench is the only writer
of leads and events and every count below is its own. SQLite (+ DuckDB) in a temporary folder always;
when BENCH_DATABASE_URL names a PostgreSQL database (e.g. postgresql://postgres@127.0.0.1:5432/test),
a fresh database is created next to it for a second run and dropped afterwards.

`python -m bench.pipeline` runs it alone and prints the rows: BENCH_LEADS demo leads (default 2,000),
BENCH_PIPELINE_EVENTS (default 10,000) bounds the ingest measurements and sizes the drain.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from app import shutdown
from bench.client import BenchError
from bench.events_topup import event_count
from bench.pipeline_load import LOAD_RATE, PROBE_WAIT_S, Ingest, Store, encode, new_domain, registered, under_load, wait_applied
from bench.server import SALES, Served, bench_settings, start_app
from bench.stats import summarize, value_row

BATCH = 1_000
WINDOW_S = 10.0  # each ingest measurement ends after this long, or at its count
PREPARED_MAX = 100_000  # events encoded ahead for one ingest measurement: bounds the bench's memory
DRAIN_LIMIT_S, QUIET_LIMIT_S = 600.0, 300.0  # the longest the bench waits for the pipeline to apply
LOAD_OWNER = "sales2"  # the load's leads are not the streamed user's: only the probes touch that scope


def timed_posts(ingest: Ingest, bodies: list, per_body: int) -> tuple[list[float], float, int]:
    """Post prepared bodies one after another until all went or WINDOW_S passed; (ms per request,
    seconds, events accepted). Bodies are encoded beforehand, so the client's JSON work is not timed."""
    samples, start = [], time.perf_counter()
    for body in bodies:
        if time.perf_counter() - start >= WINDOW_S:
            break
        samples.append(ingest.post(body))
    return samples, time.perf_counter() - start, len(samples) * per_body


def ingest_rows(url: str, token: str, count: int, label: str, logged: int) -> tuple[list[dict], list[dict]]:
    """One lead.registered per request, then batches of BATCH: each up to `count` events (at most
    PREPARED_MAX) or WINDOW_S."""
    ingest, domain, count = Ingest(url, token), new_domain("ingest"), min(count, PREPARED_MAX)
    single = [encode(registered(domain, LOAD_OWNER)) for _ in range(count)]
    one, one_s, one_n = timed_posts(ingest, single, 1)
    batches = [encode(registered(domain, LOAD_OWNER, BATCH)) for _ in range(max(1, count // BATCH))]
    many, many_s, many_n = timed_posts(ingest, batches, BATCH)
    timed = [summarize(f"ingest, one event per request ({label})", one, logged),
             summarize(f"ingest, batches of {BATCH:,} events, per request ({label})", many, logged)]
    return timed, [value_row(f"ingest throughput, one event per request ({label})", one_n / one_s, "events/s"),
                   value_row(f"ingest throughput, batches of {BATCH:,} ({label})", many_n / many_s, "events/s"),
                   value_row(f"ingest: 503 answers (store busy), retried ({label})", ingest.busy, "answers")]


def drain_rows(url: str, token: str, store: Store, count: int, label: str) -> list[dict]:
    """Post `count` lead.registered in batches as fast as they are taken, then wait until each is a
    lead, nothing is undelivered and the projection reached the newest seq."""
    domain, ingest = new_domain("drain"), Ingest(url, token)
    start = time.perf_counter()
    for i in range(0, count, BATCH):  # encoded as it goes (any count fits in memory), the time counted
        ingest.post(encode(registered(domain, LOAD_OWNER, min(BATCH, count - i))))
    posted = time.perf_counter()
    applied = wait_applied(store, DRAIN_LIMIT_S, domain, count)
    missing = 0 if applied is not None else count - len(store.lead_ids(domain))
    after = applied if applied is not None else DRAIN_LIMIT_S
    name = f"end-to-end drain of {count:,} lead.registered"
    return [value_row(f"{name}, first post to fully applied ({label})", (count - missing) / (posted - start + after), "events/s"),
            value_row(f"{name}: time to apply after the last post ({label})", after, "s"),
            value_row(f"{name}: leads not applied within {DRAIN_LIMIT_S:.0f} s ({label})", missing, "leads")]


def load_rows(url: str, token: str, store: Store, label: str, logged: int) -> tuple[list[dict], list[dict]]:
    result = under_load(url, token, SALES, LOAD_OWNER, store.lead_ids)
    name = f"event-to-screen under a {LOAD_RATE:,} events/s load (sales, a lead every 200 ms, {label})"
    return [summarize(name, result.lags_ms, logged)], [
        value_row(f"load beside event-to-screen: achieved posting rate ({label})", result.posted / result.seconds, "events/s"),
        value_row(f"event-to-screen under load: probes not on screen {PROBE_WAIT_S:.0f} s after the load ({label})",
                  result.unseen, "probes")]


def quiet(store: Store, after: str, say) -> None:
    """Let the pipeline apply what earlier steps left, so each measurement starts from an idle pipeline."""
    took = wait_applied(store, QUIET_LIMIT_S)
    if took is None:
        say(f"    WARNING: {store.undelivered():,} events still undelivered {QUIET_LIMIT_S:.0f} s after {after}")
    elif took > 1:
        say(f"    the pipeline applied what {after} left in {took:.1f} s")


def measure(url: str, server, label: str, count: int, say) -> tuple[list[dict], list[dict]]:
    store, token = Store(server), server.extensions["cockpit"].settings.api_token
    quiet(store, "start-up", say)
    logged = event_count(store.engine)
    say(f"  ingest, one per request and in batches of {BATCH:,} ({label}) ...")
    timed, values = ingest_rows(url, token, count, label, logged)
    quiet(store, "the ingest measurements", say)
    say(f"  end-to-end drain of {count:,} events ({label}) ...")
    values += drain_rows(url, token, store, count, label)
    quiet(store, "the drain", say)
    say(f"  event-to-screen under a {LOAD_RATE:,} events/s load ({label}) ...")
    load_timed, load_values = load_rows(url, token, store, label, event_count(store.engine))
    stream_released(server)
    return timed + load_timed, values + load_values


def stream_released(server) -> None:
    """Wait until the server let go of the stream the bench closed. It notices at its next write (a
    heartbeat at the latest); a thread still waiting at shutdown would hold the DuckDB replica open."""
    slots = server.extensions["sse"]["slots"]
    deadline = time.monotonic() + 2 * server.extensions["cockpit"].settings.sse_heartbeat_s + 5
    while slots.open and time.monotonic() < deadline:
        time.sleep(0.1)


class LogTally(logging.Handler):
    """Counts the app's warnings and errors during a run and shows each distinct one once."""

    def __init__(self, say, shown: int = 20):
        super().__init__(logging.WARNING)
        self.say, self.shown, self.seen = say, shown, {}

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        key = (record.name, str(record.msg), type(exc).__name__)  # the template: one line per kind, not per id
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] == 1 and len(self.seen) <= self.shown:
            cause = f" ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})" if exc else ""
            self.say(f"    server log {record.levelname}: {record.name}: {record.getMessage()[:200]}{cause}")


def on_database(settings, label: str, count: int, say) -> tuple[list[dict], list[dict]]:
    say(f"pipeline on {label}: seeding {settings.demo_leads:,} demo leads and starting the app ...")
    server, _, startup_s, _ = start_app(settings)
    say(f"  started in {startup_s:.1f} s")
    tally, root = LogTally(say), logging.getLogger()
    try:
        with Served(server) as served:
            root.addHandler(tally)
            try:
                timed, values = measure(served.url, server, label, count, say)
            finally:  # before waitress closes: the stream it still holds is the bench's, not news
                root.removeHandler(tally)
    finally:
        shutdown(server)
    values.append(value_row(f"server log: warnings and errors during the pipeline rows ({label})", sum(tally.seen.values()), "lines"))
    for row in timed + values:  # shown as soon as measured: a failure on the next database keeps them
        say(f"    {row_line(row)}")
    return timed, values


def row_line(r: dict) -> str:
    if "unit" in r:
        return f"{r['name']}: {r['value']:,} {r['unit']}"
    return f"{r['name']}: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms (n {r['n']}, {r['events']:,} events)"


@contextlib.contextmanager
def fresh_database(admin_url: str):
    """A new PostgreSQL database on the server of `admin_url`; its URL is yielded, then it is dropped."""
    name = f"bench_pipeline_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pipeline_settings(folder: Path, leads: int):
    """The bench's settings with a 2 s stream heartbeat: the closed stream's server thread then ends
    within seconds (stream_released) instead of 15, and the heartbeat plays no part in the pipeline."""
    return replace(bench_settings(folder, leads), sse_heartbeat_s=2.0)


def pipeline_rows(folder: Path, leads: int, count: int, say) -> tuple[list[dict], list[dict]]:
    """(timed rows, value rows) on SQLite, then on PostgreSQL when BENCH_DATABASE_URL is set."""
    admin_url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if admin_url and not admin_url.startswith("postgresql://"):  # said before the SQLite run, not after it
        raise SystemExit(f"BENCH_DATABASE_URL must start with postgresql://, got {admin_url.split(':')[0]!r}")
    (folder / "sqlite").mkdir(parents=True)
    timed, values = on_database(pipeline_settings(folder / "sqlite", leads), "SQLite", count, say)
    if admin_url:
        (folder / "postgresql").mkdir()
        with fresh_database(admin_url) as url:
            settings = replace(pipeline_settings(folder / "postgresql", leads), database_url=url)
            pg_timed, pg_values = on_database(settings, "PostgreSQL", count, say)
        timed, values = timed + pg_timed, values + pg_values
    return timed, values


def _env_count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name}={raw!r} is not a positive whole number")
    return int(raw)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    leads, count = _env_count("BENCH_LEADS", 2_000), _env_count("BENCH_PIPELINE_EVENTS", 10_000)
    try:
        with tempfile.TemporaryDirectory(prefix="cockpit-pipeline-") as folder:
            timed, values = pipeline_rows(Path(folder), leads, count, _say)
    except BenchError as exc:
        _say(f"pipeline bench FAILED: {exc}")
        return 1
    print("\n".join(row_line(r) for r in timed + values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
