"""The snapshot queries against in-memory DuckDB: snapshot_export_* write each projection table to Parquet
and snapshot_load_* read it back row for row; snapshot_counts counts both tables. The replica's one file
folder is the only place those queries reach: files elsewhere stay refused."""
from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from data import named_sql
from data.duckdb_replica import apply_batch, ensure_schema
from data.snapshot_folder import TABLES
from data.warehouse import DuckDbWarehouse

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def fact(seq: int, kind: str, day: int, lead: int | None, revenue: float | None = None) -> tuple:
    return (seq, f"e{seq}", "/followup-cockpit/test", kind, datetime(2026, 11, day, 9, seq), lead, 7, 70, "HOTEL",
            "T3" if kind == "followup.sent" else None, "FOLLOW_UP", 2, "A", None, None, revenue, None)


def filled_replica(folder) -> duckdb.DuckDBPyConnection:
    cur = DuckDbWarehouse(":memory:", folder).cursor()
    ensure_schema(cur)
    apply_batch(cur, [fact(1, "followup.sent", 28, 41), fact(2, "followup.sent", 29, 42),
                      fact(4, "customer.converted", 29, 41, 250.5), fact(5, "lead.registered", 30, None)], 5, NOW)
    return cur


def rows(cur, table: str) -> list[tuple]:
    return cur.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()  # names from TABLES only


def test_export_then_load_gives_the_same_rows(tmp_path):
    source, target = filled_replica(tmp_path), DuckDbWarehouse(":memory:", tmp_path).cursor()
    ensure_schema(target)
    for table in TABLES:
        written = source.execute(named_sql.load(f"snapshot_export_{table}"), [str(tmp_path / f"{table}.parquet")])
        assert written.fetchone()[0] == len(rows(source, table)) > 0
        target.execute(named_sql.load(f"snapshot_load_{table}"), [str(tmp_path / f"{table}.parquet")])
        assert rows(target, table) == rows(source, table)
    assert target.execute(named_sql.load("snapshot_counts")).fetchone() == (4, 4)


def test_counts_of_an_empty_replica_are_zero():
    cur = DuckDbWarehouse(":memory:").cursor()
    ensure_schema(cur)
    assert cur.execute(named_sql.load("snapshot_counts")).fetchone() == (0, 0)


def test_a_loaded_fact_table_still_refuses_a_second_copy_of_a_seq(tmp_path):
    source, target = filled_replica(tmp_path), DuckDbWarehouse(":memory:", tmp_path).cursor()
    ensure_schema(target)
    source.execute(named_sql.load("snapshot_export_events"), [str(tmp_path / "events.parquet")])
    target.execute(named_sql.load("snapshot_load_events"), [str(tmp_path / "events.parquet")])
    with pytest.raises(duckdb.ConstraintException):  # the key the tail's ON CONFLICT relies on came along
        target.execute(named_sql.load("snapshot_load_events"), [str(tmp_path / "events.parquet")])


def test_files_outside_the_snapshot_folder_stay_refused(tmp_path):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    cur = filled_replica(folder)
    for outside in ("/etc/passwd", str(tmp_path / "events.parquet"), str(folder / ".." / "events.parquet")):
        with pytest.raises(duckdb.PermissionException):
            cur.execute(named_sql.load("snapshot_export_events"), [outside])
        with pytest.raises(duckdb.PermissionException):
            cur.execute("SELECT * FROM read_text($1)", [outside])
    with pytest.raises(duckdb.Error):  # the folder cannot be widened afterwards
        cur.execute("SET allowed_directories=['/']")
