"""Writing a snapshot of the DuckDB analytics replica, and seeding an empty replica from one, so that a
new replica loads the projection instead of replaying the whole event log row by row, then tails the log
from the snapshot's position (pipelines/replica_snapshots.py decides when; data/snapshot_folder.py holds
the folder's format).

A snapshot is written from one DuckDB transaction: the Parquet files and the position agree, whatever
the projection appends meanwhile. Before a replica trusts a snapshot it checks, in this order:
- the manifest: this format, written for this schema.sql;
- the anchor, the OLTP event at the position (seq, source, id, recorded_at): the snapshot was made from
  this event log, not from a database since recreated;
- each file's size and SHA-256; after the load, each table's rows against the manifest's count.
A snapshot that fails a check is skipped with a warning and the next older one is tried; with none
left the replica replays the log. The load is one DuckDB transaction: rows and position, or nothing.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from data import named_sql
from data.duckdb_replica import POSITION_NAME, naive_utc, read_position, refresh_all_leads
from data.snapshot_folder import (PARTIAL_PREFIX, TABLES, Anchor, Snapshot, SnapshotRefused, check_files, prune, seal,
                                  usable_snapshots)

log = logging.getLogger(__name__)


def export_snapshot(cur: duckdb.DuckDBPyConnection, folder: Path, anchor_at: Callable[[int], Anchor | None],
                    now: datetime) -> Snapshot | None:
    """Write a snapshot of the replica behind `cur` into `folder`, from one consistent read. None when
    the replica is not past the newest snapshot, or its position has no event in the log to anchor it."""
    folder.mkdir(parents=True, exist_ok=True)
    newest = next(iter(usable_snapshots(folder)), None)
    partial = folder / f"{PARTIAL_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        exported = _export(cur, partial, newest.position if newest else 0, anchor_at)
        snapshot = seal(partial, folder, *exported, now) if exported else None
    finally:
        shutil.rmtree(partial, ignore_errors=True)  # gone already once renamed
    prune(folder)
    return snapshot


def seed_empty_replica(cur: duckdb.DuckDBPyConnection, folder: Path, in_log: Callable[[Anchor], bool],
                       now: datetime) -> Snapshot | None:
    """If the replica behind `cur` is empty, load the newest snapshot that passes every check; None when
    the replica is not empty or no snapshot does (the projection then replays the log)."""
    if read_position(cur) or any(_counts(cur)):
        return None
    for snapshot in usable_snapshots(folder):
        try:
            if not in_log(snapshot.anchor):
                raise SnapshotRefused(f"made from another event log: event {snapshot.anchor} is not in this one")
            check_files(snapshot)
            _load(cur, snapshot, now)
        except SnapshotRefused as exc:
            log.warning("analytics snapshot %s skipped: %s", snapshot.folder, exc)
            continue
        return snapshot
    log.info("no usable analytics snapshot in %s: the replica replays the event log from the start", folder)
    return None


def _export(cur, partial: Path, newest: int, anchor_at) -> tuple[int, Anchor, dict[str, int]] | None:
    cur.begin()  # one read: the files and the position agree, whatever the projection appends meanwhile
    try:
        position = read_position(cur)
        if position <= newest:
            return None
        anchor = anchor_at(position)
        if anchor is None:
            log.warning("analytics snapshot: no event at position %d in the log; none written", position)
            return None
        partial.mkdir()
        rows = {t: int(cur.execute(named_sql.load(f"snapshot_export_{t}"), [str(partial / f"{t}.parquet")])
                       .fetchone()[0]) for t in TABLES}
        return position, anchor, rows
    finally:
        cur.rollback()  # it only read


def _load(cur, snapshot: Snapshot, now: datetime) -> None:
    cur.begin()
    try:
        for table in TABLES:
            cur.execute(named_sql.load(f"snapshot_load_{table}"), [str(snapshot.file(table))])
        counts, expected = _counts(cur), tuple(snapshot.files[t].rows for t in TABLES)
        if counts != expected:
            raise SnapshotRefused(f"loaded {counts} rows where the manifest says {expected}")
        cur.execute(named_sql.load("projection_save_position"), [POSITION_NAME, snapshot.position, naive_utc(now)])
        refresh_all_leads(cur)  # derived from the events (up to the position): rebuilt rather than shipped
        cur.commit()
    except duckdb.Error as exc:
        cur.rollback()
        raise SnapshotRefused(f"did not load: {str(exc).splitlines()[0][:200]}") from None
    except BaseException:
        cur.rollback()
        raise


def _counts(cur) -> tuple[int, ...]:
    return tuple(cur.execute(named_sql.load("snapshot_counts")).fetchone())
