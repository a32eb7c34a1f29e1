"""Snapshots of the analytics replica (data/duckdb_snapshot.py): seeding a new replica from one, and
writing them, so a replica that starts without a DuckDB file serves within seconds instead of after
replaying the whole event log row by row.

Seeding: when the projection starts on an empty replica (a new process, a lost file), it loads the
newest snapshot that passes the checks and tails the log from the snapshot's position, as a replica that
was away for a while does; with none usable it replays the log from the start.

Writing: each process looks at the shared snapshot folder when the newest snapshot there turns
ANALYTICS_SNAPSHOT_INTERVAL_S old (or, with none, that long after start). If its replica is past that
snapshot and it is its turn (data/snapshot_turns.py: one process at a time on PostgreSQL), it writes the
next one from one consistent read of its replica; the others find it fresh and wait again. The
projection keeps applying meanwhile: a DuckDB transaction reads what was committed when it began.
"""
from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from data.duckdb_snapshot import export_snapshot, seed_empty_replica
from data.snapshot_folder import Anchor, Snapshot, usable_snapshots
from data.snapshot_turns import SnapshotTurns
from runtime.worker import Worker
from services.clock import Clock, utc_now

log = logging.getLogger(__name__)
SOONEST_S = 1.0  # the shortest wait between two looks at the folder


@dataclass(frozen=True)
class ReplicaSnapshots:
    """Where the snapshots of this deployment live and how often this process offers one."""
    folder: Path
    interval_s: int  # 0: this process writes none (it still seeds from one)
    turns: SnapshotTurns | None = None  # None: always this process's turn

    @classmethod
    def from_settings(cls, settings, engine) -> "ReplicaSnapshots":
        return cls(Path(settings.analytics_snapshot_dir).resolve(), settings.analytics_snapshot_interval_s,
                   SnapshotTurns(engine))


def event_at(uow, seq: int) -> Anchor | None:
    """The log's event at `seq` as an anchor, or None when there is none."""
    with uow(write=False) as tx:
        events = tx.event_feed.events_after(seq - 1, 1)
    return Anchor.of(events[0]) if events and events[0].seq == seq else None


def seed_replica(uow, warehouse, folder: Path, clock: Clock = utc_now) -> Snapshot | None:
    """Load the newest usable snapshot into an empty replica; None when the replica was not empty or no
    snapshot passed the checks (each refusal is logged)."""
    started = time.perf_counter()
    cur = warehouse.cursor()
    try:
        snapshot = seed_empty_replica(cur, folder, lambda anchor: event_at(uow, anchor.seq) == anchor, clock())
    finally:
        cur.close()
    if snapshot is not None:
        log.info("analytics replica %s seeded from %s (%d events, position %d) in %.1f s; tailing the log from there",
                 warehouse.path, snapshot.folder.name, snapshot.files["events"].rows, snapshot.position,
                 time.perf_counter() - started)
    return snapshot


class SnapshotWriter(Worker):
    """Writes the next snapshot of this process's replica when the newest one is old enough."""

    def __init__(self, uow, warehouse, snapshots: ReplicaSnapshots, clock: Clock = utc_now):
        super().__init__("analytics-snapshots", poll_seconds=max(snapshots.interval_s, SOONEST_S),
                         join_seconds=5.0, wait_first=True)
        self.uow, self.warehouse, self.snapshots, self.clock = uow, warehouse, snapshots, clock
        self._next_look_s = self.poll_seconds

    def pass_once(self) -> bool:
        self._next_look_s = self.write_if_due()
        return False

    def idle_seconds(self) -> float:
        return self._next_look_s

    def closed(self) -> bool:
        return getattr(self.warehouse, "closed", False)

    def write_if_due(self) -> float:
        """Write a snapshot if the newest is interval_s old and it is this process's turn; returns the
        seconds until the next look."""
        newest = next(iter(usable_snapshots(self.snapshots.folder)), None)
        age = (self.clock() - newest.written_at).total_seconds() if newest else float("inf")
        if age < self.poll_seconds:
            return max(SOONEST_S, self.poll_seconds - age)
        turns = self.snapshots.turns
        with turns.taken() if turns is not None else nullcontext(True) as mine:
            if mine:
                self.write_now()
        return self.poll_seconds

    def write_now(self) -> Snapshot | None:
        """Write a snapshot of the replica as it is now, if it is past the newest one."""
        started, cur = time.perf_counter(), self.warehouse.cursor()
        try:
            snapshot = export_snapshot(cur, self.snapshots.folder, lambda seq: event_at(self.uow, seq), self.clock())
        finally:
            cur.close()
        if snapshot is not None:
            log.info("analytics snapshot %s written (%d events) in %.1f s", snapshot.folder,
                     snapshot.files["events"].rows, time.perf_counter() - started)
        return snapshot
