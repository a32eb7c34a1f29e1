"""The event log and its projected replica that bench/replica_start.py starts new replicas against, built
once per size and kept in var/bench/replica-<events>/ (cockpit.db and analytics.duckdb; delete the folder
to rebuild it).

Up to BASE_EVENTS the log is built as `make bench` builds it: demo leads with their history, topped up
(bench/events_topup.py), and the projection replays it into the replica, without the web app. Past BASE_EVENTS the
BASE_EVENTS log is copied over until it is long enough: the log and its replica alike, each copy's
seqs shifted past the last one and its ids suffixed, so that replaying a 10M log to build it does not take
the better part of an hour. A copy keeps its original's projected facts, including a registration's
link to its lead (which a replay would give the original only).
"""
from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import duckdb
from sqlalchemy import insert, select, text

from bench.events_topup import event_count, last_seq, top_up
from data import named_sql
from data.db import make_engine, make_session_factory
from data.duckdb_replica import POSITION_NAME, refresh_all_leads
from data.migrate import upgrade
from data.models import EventRecord, Lead
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from demo.history import publish_demo_history
from demo.seed import seed_demo
from domain.cloudevents import CloudEvent
from domain.events import FOLLOWUP_REPLIED, FOLLOWUP_SENT, idempotency_key
from pipelines.analytics_projection import AnalyticsProjection
from services.auth import hash_password
from services.outbox import SOURCE_PREFIX, check_data, content_hash, lead_subject

BASE_EVENTS = 1_000_000
BUILT = "built.json"
_COLUMNS = ("source, type, subject, time, {key}, datacontenttype, data, recorded_at, delivered_at, attempts, "
            "next_attempt_at, last_error, extensions, content_hash")
# A copy of the first `:last` rows of the log, seqs shifted by `:shift`, ids and keys suffixed.
LOG_COPY = (f"INSERT INTO events (seq, id, {_COLUMNS.format(key='idempotency_key')}) "
            f"SELECT seq + :shift, id || :suffix, {_COLUMNS.format(key='idempotency_key || :suffix')} "
            "FROM events WHERE seq <= :last ORDER BY seq")
# The same copy of their projection (data/sql/schema.sql `events`).
REPLICA_COPY = ("INSERT INTO events SELECT seq + $1, event_id || $2, source, type, time, day, lead_id, user_id, team_id, "
                "business_type, step, template_id, template_version, variant, label, customer_id, revenue, volume "
                "FROM events WHERE seq <= $3 ORDER BY seq")


def cached_log(root: Path, events: int, leads: int, say) -> Path:
    """The folder holding a log of at least `events` events and its replica at the head; built if missing."""
    folder = root / f"replica-{events}"
    if (folder / BUILT).exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)  # a build that did not finish
    folder.mkdir(parents=True)
    if events <= BASE_EVENTS:
        _build(folder, events, leads, say)
    else:
        base = cached_log(root, BASE_EVENTS, leads, say)
        for name in ("cockpit.db", "analytics.duckdb"):
            shutil.copyfile(base / name, folder / name)
        _copy_over(folder, events, say)
    (folder / BUILT).write_text(json.dumps({"events": events, "leads": leads}))
    return folder


def _build(folder: Path, events: int, leads: int, say) -> None:
    """Demo leads and their history, topped up to `events`, replayed into the replica: what `make bench`
    builds, without the web app (only its data layer and the demo)."""
    say(f"building a log of {events:,} events over {leads:,} demo leads in {folder} (once) ...")
    engine = make_engine(f"sqlite:///{folder / 'cockpit.db'}")
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    start = time.perf_counter()
    seed_demo(uow.session_factory, hash_password=hash_password, leads=leads)
    history = publish_demo_history(uow, datetime.now(timezone.utc))
    written, written_s = top_up(SimpleNamespace(extensions={"cockpit": SimpleNamespace(engine=engine)}), events)
    say(f"  seeded with {history:,} history events in {time.perf_counter() - start - written_s:.0f} s, "
        f"topped up with {written:,} in {written_s:.0f} s")
    warehouse = DuckDbWarehouse(folder / "analytics.duckdb")
    try:
        start = time.perf_counter()
        AnalyticsProjection(uow, warehouse).catch_up()
        say(f"  projected {event_count(engine):,} events in {time.perf_counter() - start:.0f} s")
    finally:
        warehouse.close()
        engine.dispose()


def _copy_over(folder: Path, events: int, say) -> None:
    """Copies of the log's first events (and their projection) until it holds `events`."""
    engine = make_engine(f"sqlite:///{folder / 'cockpit.db'}")
    base = last_seq(engine)
    replica = duckdb.connect(str(folder / "analytics.duckdb"))
    try:
        for copy in range(1, -(-events // base)):
            last, shift = min(base, events - copy * base), copy * base
            say(f"  copy {copy}: seqs {shift + 1:,}..{shift + last:,}")
            with engine.begin() as conn:
                conn.execute(text(LOG_COPY), {"shift": shift, "suffix": f"~{copy}", "last": last})
            replica.execute(REPLICA_COPY, [shift, f"~{copy}", last])
        _recount(replica, last_seq(engine))
    finally:
        replica.close()
        engine.dispose()


def _recount(replica: duckdb.DuckDBPyConnection, position: int) -> None:
    """The daily aggregates of every day again (projection_recount_days over all days, every type), the
    position, and the rollups and feed rebuilt up to it (the copies' leads are their originals')."""
    days = [day for (day,) in replica.execute("SELECT DISTINCT day FROM events").fetchall()]
    named_sql.run_script(replica, "projection_recount_days", [days, None])
    replica.execute(named_sql.load("projection_save_position"), [POSITION_NAME, position, datetime.now()])
    refresh_all_leads(replica)


def log_tail(engine, count: int, tag: str) -> int:
    """`count` follow-ups sent and replies to them, logged now (what arrives between two snapshots);
    returns the log's new last seq."""
    with engine.connect() as conn:
        leads = list(conn.execute(select(Lead.id).order_by(Lead.id).limit(max(1, count // 2))).scalars())
    now, rows = datetime.now(timezone.utc), []
    for i in range(count):
        lead_id = leads[(i // 2) % len(leads)]
        at = now - timedelta(seconds=count - i)
        if i % 2 == 0:
            data = {"lead_id": lead_id, "step": "T3", "sent_at": at.isoformat(), "template": "SAMPLE_REQUEST", "variant": "A"}
            rows.append(_row(FOLLOWUP_SENT, "followups", lead_id, at, data, (tag, i)))
        else:
            rows.append(_row(FOLLOWUP_REPLIED, "mail", lead_id, at, {"lead_id": lead_id, "replied_at": at.isoformat(),
                                                                     "label": "POSITIVE"}, (tag, i)))
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(EventRecord.__table__), rows[start:start + 5000])
    return last_seq(engine)


def _row(type_: str, producer: str, lead_id: int, at: datetime, data: dict, facts: tuple) -> dict:
    check_data(type_, data)
    key = idempotency_key(type_, "bench-tail", lead_id, *facts)
    event = CloudEvent(id=key, source=SOURCE_PREFIX + producer, type=type_, time=at, data=data,
                       subject=lead_subject(lead_id), idempotencykey=key)
    return {"id": key, "source": event.source, "type": type_, "subject": event.subject, "time": at,
            "idempotency_key": key, "datacontenttype": event.datacontenttype, "data": data, "extensions": None,
            "content_hash": content_hash(event), "recorded_at": at, "delivered_at": at}

