"""The DuckDB analytics replica: its schema, its stored position, and applying one batch of events.

Rows and position are written in one DuckDB transaction, so a crash between batches neither loses
nor double-counts; the fact table is keyed by the OLTP seq, and the daily aggregates are recomputed
from it for the days a batch touches, so re-applying rows changes nothing.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from data import named_sql
from data.warehouse import DuckDbLimits, DuckDbWarehouse

POSITION_NAME = "oltp_events"
FEED_MARK_NAME = "recent_feed"  # the seq up to which recent_events holds the feed's rows
FEED_ROWS_KEPT = 50  # per (team, owner): the most rows the feed may ask for
FACT_COLUMNS = ("seq", "event_id", "source", "type", "time", "lead_id", "user_id", "team_id", "business_type",
                "step", "template_id", "template_version", "variant", "label", "customer_id", "revenue", "volume")
LINK_COLUMNS = ("registered_source", "registered_id", "lead_id", "user_id", "team_id", "business_type")
TABLES = ("events", "projection_position", "daily_counts", "lead_rollup", "send_rollup", "rollup_pending",
          "recent_events")


def ensure_schema(cur: duckdb.DuckDBPyConnection) -> None:
    """The tables and macros; a replica written before the rollups existed gets them filled once. One
    written before the feed's rows has no feed mark: its feed reads every fact until its next refresh
    takes them in."""
    named_sql.run_script(cur, "schema")
    if cur.execute("SELECT NOT EXISTS (FROM lead_rollup) AND EXISTS (FROM events WHERE lead_id IS NOT NULL)").fetchone()[0]:
        cur.begin()
        refresh_all_leads(cur)
        cur.commit()


def reset(cur: duckdb.DuckDBPyConnection) -> None:
    """Drop everything the projection wrote; the next catch-up rebuilds it from the log."""
    for table in TABLES:
        cur.execute(f"DROP TABLE IF EXISTS {table}")  # names from the constant above, never from input
    ensure_schema(cur)


def read_position(cur: duckdb.DuckDBPyConnection, name: str = POSITION_NAME) -> int:
    row = cur.execute(named_sql.load("projection_position"), [name]).fetchone()
    return int(row[0]) if row else 0


def replica_position(warehouse) -> int:
    """The replica's position on a cursor of its own (for readers outside an apply)."""
    cur = warehouse.cursor()
    try:
        return read_position(cur)
    finally:
        cur.close()


def apply_batch(cur: duckdb.DuckDBPyConnection, rows: list[tuple], position: int, now: datetime,
                links: list[tuple] = ()) -> None:
    """Append `rows` (FACT_COLUMNS order), link registrations to their leads (`links`, LINK_COLUMNS
    order), refresh the aggregates of the groups touched (and of the registrations of the days where a
    link re-attributed some), mark the leads touched for a rollup refresh, store `position`: one
    transaction. The link statements run only for a batch that links."""
    frames = {}
    cur.begin()
    try:
        if rows:
            frames["batch"] = _register(cur, "batch", rows, FACT_COLUMNS)
            cur.execute(named_sql.load("projection_insert_events"))
            named_sql.run_script(cur, "projection_refresh_groups", [sorted({row[0] for row in rows})])
        if links:
            frames["links"] = _register(cur, "links", list(links), LINK_COLUMNS)
            _link(cur)
        pending = {row[5] for row in rows if row[5] is not None} | {link[2] for link in links}
        if pending:  # their rollups are refreshed next, off the path to the screens (refresh_pending)
            cur.execute("INSERT INTO rollup_pending SELECT unnest(CAST($1 AS BIGINT[]))", [sorted(pending)])
        cur.execute(named_sql.load("projection_save_position"), [POSITION_NAME, position, naive_utc(now)])
        cur.commit()
    except BaseException:
        cur.rollback()
        raise
    finally:
        for name in frames:
            cur.unregister(name)


def _link(cur: duckdb.DuckDBPyConnection) -> None:
    """Link registrations to their leads (registered `links`) and recount the registrations of their days."""
    cur.execute(named_sql.load("projection_link_registrations"))
    days = sorted(day for (day,) in cur.execute(named_sql.load("projection_linked_days")).fetchall())
    if days:
        named_sql.run_script(cur, "projection_recount_days", [days, "lead.registered"])


def refresh_pending(cur: duckdb.DuckDBPyConnection) -> bool:
    """Recompute the per-lead and per-send rollups of the leads the applied batches left pending, in one
    transaction of its own; False when none was pending."""
    cur.begin()
    try:
        if cur.execute("SELECT NOT EXISTS (FROM rollup_pending)").fetchone()[0]:
            cur.rollback()
            return False
        _refresh(cur)
        cur.commit()
        return True
    except BaseException:
        cur.rollback()
        raise


def refresh_all_leads(cur: duckdb.DuckDBPyConnection) -> None:
    """The rollups and the feed's rows rebuilt for every lead, in the caller's transaction (after a
    snapshot load, or a replica written before they existed), up to the stored position."""
    cur.execute("DELETE FROM lead_rollup")
    cur.execute("DELETE FROM send_rollup")
    cur.execute("DELETE FROM recent_events")
    cur.execute("DELETE FROM projection_position WHERE name = $1", [FEED_MARK_NAME])
    cur.execute("INSERT INTO rollup_pending SELECT DISTINCT lead_id FROM events WHERE lead_id IS NOT NULL")
    _refresh(cur)


def _refresh(cur: duckdb.DuckDBPyConnection) -> None:
    """The pending leads' rollups, then the feed's rows up to the position (the take-in reads the facts
    of the pending leads the rollups' script left in `lead_events`)."""
    named_sql.run_script(cur, "projection_refresh_leads")
    mark, position = read_position(cur, FEED_MARK_NAME), read_position(cur)
    cur.execute(named_sql.load("projection_feed_take_in"), [mark, position, FEED_ROWS_KEPT])
    cur.execute(named_sql.load("projection_feed_trim"), [FEED_ROWS_KEPT])
    cur.execute(named_sql.load("projection_save_position"), [FEED_MARK_NAME, position, naive_utc(datetime.now(timezone.utc))])
    cur.execute("DROP TABLE lead_events")


def _register(cur: duckdb.DuckDBPyConnection, name: str, rows: list[tuple], columns: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    cur.register(name, frame)
    return frame


def naive_utc(value: datetime) -> datetime:
    """DuckDB TIMESTAMP columns hold naive UTC; an aware value would be shifted by the session time zone."""
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def open_replica(path: Path | str, per_process: bool, snapshot_folder: Path | None = None,
                 limits: DuckDbLimits = DuckDbLimits()) -> DuckDbWarehouse:
    """The replica this process owns. DuckDB lets one process write a file, so on PostgreSQL (several
    web processes) each takes a numbered slot next to `path`: the first whose lock it gets, so a
    restarted process reuses a replica and only tails what it missed. A missing file starts empty;
    the projection seeds it from the newest snapshot in `snapshot_folder` (the one folder its queries
    may read and write, data/duckdb_snapshot.py) or rebuilds it from the log."""
    path = Path(path)
    if not per_process or str(path) == ":memory:":
        return DuckDbWarehouse(path, snapshot_folder, limits)
    for slot in range(64):
        try:
            return DuckDbWarehouse(path.with_name(f"{path.stem}.{slot}{path.suffix}"), snapshot_folder, limits)
        except (duckdb.IOException, duckdb.InvalidInputException):  # another process holds this slot, or
            continue  # this one does (a second app in one process: its settings are locked already)
    return DuckDbWarehouse(path.with_name(f"{path.stem}.pid{os.getpid()}{path.suffix}"), snapshot_folder, limits)
