"""The analytics projection: tails the OLTP event log into this process's DuckDB replica (DESIGN 2, 6).

It reads events after its stored position, enriches them with their lead's owner, team and business
type (one batched query per batch), and appends them with the refreshed daily aggregates and the new
position in one DuckDB transaction. A background thread runs it, woken after commits that wrote events
(this process's unit of work, and on PostgreSQL every process's commits via LISTEN/NOTIFY), with a poll
as the fallback; after each applied batch the broadcaster wakes the open cockpit streams.

Gaps in seq. PostgreSQL hands out seqs at insert but may commit a lower seq after a higher one (or roll
it back, leaving a hole forever). The position only moves past a missing seq once the first event after
the hole was recorded more than `gap_grace` ago: a transaction open that long is taken as rolled back.
Events beyond a young hole are applied at once (the screen stays live) and re-read until the hole is
settled; the fact table's seq key makes re-reading harmless. We do not wait for the relay's
delivered_at instead because that would add the relay's lag and tie analytics to its health.

A replica that starts empty (no file yet) is seeded from the newest snapshot of the deployment's
replicas and tails from there (pipelines/replica_snapshots.py), or, with none usable, is rebuilt from
the log. `python -m pipelines.analytics_projection --rebuild` drops the replica and replays the log.
"""
from __future__ import annotations

import argparse
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from config import load_settings
from data.db import make_engine, make_session_factory
from data.duckdb_feed import LoggedEvent
from data.warehouse import DuckDbLimits
from data.duckdb_replica import (apply_batch, ensure_schema, open_replica, read_position, refresh_pending,
                                  replica_position, reset)
from data.uow import SqlAlchemyUnitOfWork
from domain.events import LEAD_CREATED
from pipelines.analytics_facts import NO_LEAD, lead_id_of, link_row, safe_fact_row
from pipelines.broadcast import Broadcaster, Touched
from pipelines.replica_snapshots import ReplicaSnapshots, SnapshotWriter, seed_replica
from runtime.worker import Worker
from services.clock import Clock, utc_now

MAX_LINGER_S = 0.05  # the most a wake-up waits: event-to-screen stays well under 100 ms of it
ROLLUP_EVERY_BATCHES = 20  # a long catch-up refreshes the rollups of many batches at once (cheaper per lead)
# The background passes refresh a batch's rollups this long after it: every replica applies each event
# at once, and the next event's way to the screens must not queue behind the last one's rollups.
ROLLUP_DELAY_S = 0.3
QUIET_S = 0.25  # idle this long before a wake-up: nothing to gather, apply at once


def settled_position(position: int, events: list[LoggedEvent], older_than: datetime) -> int:
    """The highest seq with nothing missing below it, skipping holes whose next event is old enough."""
    for event in events:
        if event.seq != position + 1 and _aware(event.recorded_at) > older_than:
            break  # a young hole: an earlier transaction may still commit into it
        position = event.seq
    return position


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class AnalyticsProjection(Worker):
    def __init__(self, uow, warehouse, broadcaster: Broadcaster | None = None, clock: Clock = utc_now,
                 batch_size: int = 5000, gap_grace: timedelta = timedelta(seconds=5), poll_seconds: float = 1.0,
                 linger_seconds: float = 0.02, snapshots: ReplicaSnapshots | None = None,
                 rollup_delay_s: float = ROLLUP_DELAY_S):
        super().__init__("analytics-projection", poll_seconds=poll_seconds, linger_seconds=linger_seconds,
                         join_seconds=5.0)
        self.uow, self.warehouse, self.clock = uow, warehouse, clock
        self.broadcaster = broadcaster or Broadcaster()
        self.batch_size, self.gap_grace = batch_size, gap_grace
        self._apply_lock = threading.Lock()
        self.rollup_delay_s = rollup_delay_s
        self._rollups_due: float | None = None  # monotonic
        self._applied_events = False  # by the background thread's last pass
        self.snapshots = snapshots
        self.snapshot_writer = SnapshotWriter(uow, warehouse, snapshots, clock) if snapshots else None
        cur = warehouse.cursor()
        try:
            ensure_schema(cur)
        finally:
            cur.close()

    def start(self):
        """Seed an empty replica from a snapshot (before serving: this process shows no numbers it would
        still have to replay), then tail the log and offer snapshots."""
        self.seed_from_snapshot()
        with self._apply_lock:
            self._refresh_rollups()  # what a stop left pending
        if self.snapshot_writer is not None and self.snapshots.interval_s:
            self.snapshot_writer.start()
        return super().start()

    def stop(self, timeout: float | None = None) -> None:
        if self.snapshot_writer is not None:
            self.snapshot_writer.stop(timeout)
        super().stop(timeout)

    def seed_from_snapshot(self) -> int | None:
        """An empty replica loads the newest usable snapshot; returns its position, None if none was loaded."""
        if self.snapshots is None:
            return None
        with self._apply_lock:
            snapshot = seed_replica(self.uow, self.warehouse, self.snapshots.folder, self.clock)
        return snapshot.position if snapshot else None

    def pass_once(self) -> bool:
        with self._apply_lock:
            self._applied_events = self._apply_all() > 0
            if self._rollups_due is not None and time.monotonic() >= self._rollups_due:
                self._refresh_rollups()
        return False  # _apply_all reads until the log is exhausted

    def settled(self) -> bool:
        """Every committed event applied and its rollups (funnel, cohorts, ROI: `rollup_delay_s` behind the
        facts) refreshed; False while a pass runs. For whoever must read numbers that no longer move."""
        if not self._apply_lock.acquire(blocking=False):
            return False
        try:
            position = replica_position(self.warehouse)
            with self.uow(write=False) as tx:
                return self._rollups_due is None and not tx.event_feed.events_after(position, 1)
        finally:
            self._apply_lock.release()

    def idle_seconds(self) -> float:
        if self._rollups_due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max(0.0, self._rollups_due - time.monotonic()))

    def did_work(self) -> bool:
        return self._applied_events  # a pass that only refreshed rollups is no burst

    def linger_after(self, took: float, waited: float) -> float:
        # The first event after a quiet spell goes to the screens at once. In a busy spell, waiting at
        # least as long as the last pass took gathers the burst into one batch and keeps the
        # projection to half a core under load, leaving the rest to requests.
        if waited >= QUIET_S:
            return 0.0
        return min(MAX_LINGER_S, max(self.linger_seconds, took))

    def closed(self) -> bool:
        return getattr(self.warehouse, "closed", False)

    def catch_up(self) -> int:
        """Apply every committed event after the stored position and refresh the rollups; returns how
        many rows were read."""
        with self._apply_lock:
            total = self._apply_all()
            self._refresh_rollups()
        return total

    def _apply_all(self) -> int:
        """Apply batches until the log is exhausted; their rollups fall due `rollup_delay_s` after the first."""
        total, batches = 0, 0
        while not self.stopping:
            read, advanced = self._apply_next()
            total, batches = total + read, batches + 1
            if read and self._rollups_due is None:
                self._rollups_due = time.monotonic() + self.rollup_delay_s
            if read < self.batch_size or not advanced:
                break
            if batches % ROLLUP_EVERY_BATCHES == 0:
                self._refresh_rollups()
        return total

    def _refresh_rollups(self) -> None:
        """The rollups of the leads the applied batches touched, after their numbers went to the screens;
        then the shared read snapshots are stale (the version moves, no stream is woken)."""
        self._rollups_due = None
        cur = self.warehouse.cursor()
        try:
            refreshed = refresh_pending(cur)
        finally:
            cur.close()
        if refreshed:
            self.broadcaster.advance()

    def rebuild(self) -> int:
        with self._apply_lock:
            cur = self.warehouse.cursor()
            try:
                reset(cur)
            finally:
                cur.close()
        return self.catch_up()

    def _apply_next(self) -> tuple[int, bool]:
        cur = self.warehouse.cursor()
        try:
            position = read_position(cur)
            with self.uow(write=False) as tx:
                events = tx.event_feed.events_after(position, self.batch_size)
                lead_ids = {lead_id_of(e) for e in events} - {None}
                leads = tx.event_feed.lead_facts(lead_ids) if lead_ids else {}
            if not events:
                return 0, False
            facts = [e for e in events if e.type != LEAD_CREATED]  # a link to its lead, not a fact itself
            rows = [safe_fact_row(e, lid, leads.get(lid, NO_LEAD)) for e in facts for lid in [lead_id_of(e)]]
            links = [link for e in events if e.type == LEAD_CREATED
                     for link in [link_row(e, leads.get(lead_id_of(e), NO_LEAD))] if link is not None]
            now = self.clock()
            new_position = settled_position(position, events, now - self.gap_grace)
            apply_batch(cur, rows, new_position, now, links)
        finally:
            cur.close()
        touched = {(r[7], r[6]) for r in rows if r[5] is not None} | {(link[4], link[3]) for link in links}
        self.broadcaster.publish(Touched(frozenset(touched), events[-1].seq))
        return len(events), new_position > position


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tail the event log into the DuckDB analytics replica.")
    parser.add_argument("--rebuild", action="store_true", help="drop the replica and rebuild it from the log")
    parser.add_argument("--snapshot", action="store_true", help="then write a snapshot of it (ANALYTICS_SNAPSHOT_DIR)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    warehouse = open_replica(settings.analytics_path, engine.dialect.name == "postgresql", settings.analytics_snapshot_dir,
                             DuckDbLimits(settings.analytics_memory_mb, settings.analytics_threads))
    projection = AnalyticsProjection(SqlAlchemyUnitOfWork(make_session_factory(engine)), warehouse,
                                     snapshots=ReplicaSnapshots.from_settings(settings, engine))
    if not args.rebuild:
        projection.seed_from_snapshot()
    read = projection.rebuild() if args.rebuild else projection.catch_up()
    if args.snapshot:
        projection.snapshot_writer.write_now()
    print(f"{warehouse.path}: {read} events read", flush=True)
    warehouse.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
